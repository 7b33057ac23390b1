/**
 * `TcpGate`: a TCP relay between one Plexus instance and a Redis, which a test closes and opens to
 * cut that instance alone off from Redis (connections reset, new ones refused by an immediate
 * close) and to choose which instance gets Redis back first. The failure is real for the instance:
 * its sockets end, its commands fail or time out.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export class TcpGate {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #open = true;

  private constructor(server: Server) {
    this.#server = server;
  }

  /** Listens on a free port of 127.0.0.1 and relays to `target` (host:port). */
  static async start(target: string): Promise<TcpGate> {
    const [host, port] = splitAddress(target);
    let gate: TcpGate | undefined;
    const server = createServer((client) => {
      if (gate === undefined || !gate.#open) {
        client.destroy();
        return;
      }
      const upstream = createConnection({ host, port });
      for (const socket of [client, upstream]) {
        gate.#sockets.add(socket);
        socket.on('close', () => {
          if (gate !== undefined) gate.#sockets.delete(socket);
        });
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    gate = new TcpGate(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return gate;
  }

  get url(): string {
    const address = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error('gate not listening');
    return `redis://127.0.0.1:${address.port}`;
  }

  /** Ends every relayed connection and refuses new ones until `open()`. */
  close(): void {
    this.#open = false;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  open(): void {
    this.#open = true;
  }

  async stop(): Promise<void> {
    this.close();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), Number(address.slice(at + 1))];
}
