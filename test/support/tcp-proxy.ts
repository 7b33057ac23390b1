/**
 * A small TCP load balancer for tests: each incoming connection goes to the next of the backends in
 * use (round robin), falling through to the following ones when a backend refuses; with none in use,
 * or none accepting, the connection is closed. `use()` changes the backends for new connections, as a
 * load balancer's health checks would; established connections stay where they are, and end when
 * their backend goes away.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  readonly url: string;
  /** Backend ports that new connections go to (in turn). */
  use(ports: readonly number[]): void;
  close(): Promise<void>;
}

export async function startTcpProxy(initial: readonly number[]): Promise<TcpProxy> {
  let backends = [...initial];
  let turn = 0;
  const sockets = new Set<Socket>();

  const dial = (ports: readonly number[], client: Socket) => {
    const [port, ...rest] = ports;
    if (port === undefined) {
      client.destroy();
      return;
    }
    const upstream = connect({ host: '127.0.0.1', port });
    sockets.add(upstream);
    upstream.once('close', () => sockets.delete(upstream));
    upstream.once('connect', () => {
      upstream.removeAllListeners('error');
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
      client.once('close', () => upstream.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    // Before the connection (removed on connect): refused, so try the next backend.
    upstream.once('error', () => dial(rest, client));
  };

  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.on('error', () => {});
    const start = backends.length === 0 ? 0 : turn++ % backends.length;
    dial([...backends.slice(start), ...backends.slice(0, start)], client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    use(ports) {
      backends = [...ports];
      turn = 0;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
