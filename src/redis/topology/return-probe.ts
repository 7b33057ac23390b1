/**
 * The return probe: while the layer is degraded, it asks each node "do you answer?" every
 * REDIS_RETURN_PROBE_MS over its own bare connection, so that the layer notices a Redis that came
 * back within a probe interval instead of waiting for the clients' reconnect back-off and the
 * breaker's reset.
 *
 * One raw TCP (or TLS) socket per address and at most one inline `PING` outstanding on it: a
 * probe costs one short line to a Redis that is up, one refused SYN to a dead one, and nothing
 * more to a paused one: a PING not answered within `waitMs` makes that probe's answer "no", but
 * stays outstanding, so the next probe waits on it and hears the server the moment it resumes.
 * Any reply counts, an error such as NOAUTH or LOADING included: a server that replies is up, and
 * the clients' own connection attempts deal with the rest. A PING unanswered after `dropMs`
 * closes the socket (a partition can leave it open forever); the next probe opens a fresh one.
 *
 * A PING that outlived a probe's wait and is answered later (a paused server resuming between two
 * probes) calls `onLateAnswer` at once, so the layer runs its next probe now rather than up to
 * one probe interval later.
 */
import net from 'node:net';
import tls from 'node:tls';

interface ProbeSocket {
  socket: net.Socket;
  /** The outstanding PING: true when a reply came, false when the socket failed or was dropped. */
  pending: Promise<boolean> | undefined;
  answer: ((answered: boolean) => void) | undefined;
  /** A probe gave up waiting on the outstanding PING: its reply, if it comes, is late news. */
  late: boolean;
  buffered: string;
}

export interface ReturnProbeOptions {
  tls: boolean;
  /** Longest one probe waits for a node's reply. */
  waitMs: number;
  /** Age at which an unanswered PING's socket is closed. */
  dropMs: number;
  /** A PING that a probe gave up on was answered (the node resumed between probes). */
  onLateAnswer?: () => void;
}

export class ReturnProbe {
  readonly #sockets = new Map<string, ProbeSocket>();
  #closed = false;

  constructor(private readonly options: ReturnProbeOptions) {}

  /** True when every address answers a PING now (false for none). */
  async answers(addresses: readonly string[]): Promise<boolean> {
    if (addresses.length === 0 || this.#closed) return false;
    for (const address of this.#sockets.keys()) {
      // Nodes no longer in the deployment (a failover moved the master) are not asked again.
      if (!addresses.includes(address)) this.#drop(address);
    }
    const results = await Promise.all(addresses.map((address) => this.#ping(address)));
    return results.every(Boolean);
  }

  close(): void {
    this.#closed = true;
    for (const address of [...this.#sockets.keys()]) this.#drop(address);
  }

  #ping(address: string): Promise<boolean> {
    const entry = this.#sockets.get(address) ?? this.#open(address);
    if (entry.pending === undefined) {
      entry.pending = new Promise<boolean>((resolve) => {
        const drop = setTimeout(() => this.#drop(address), this.options.dropMs);
        drop.unref();
        entry.answer = (answered) => {
          clearTimeout(drop);
          entry.pending = undefined;
          entry.answer = undefined;
          resolve(answered);
        };
      });
      // Written once connected (a socket buffers writes made while it connects).
      entry.socket.write('PING\r\n');
    }
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => {
        entry.late = true;
        resolve(false);
      }, this.options.waitMs);
    });
    return Promise.race([entry.pending, waited]).finally(() => clearTimeout(timer));
  }

  #open(address: string): ProbeSocket {
    const at = address.lastIndexOf(':');
    const host = address.slice(0, at).replace(/^\[|\]$/g, '');
    const port = Number(address.slice(at + 1));
    const socket = this.options.tls
      ? tls.connect({ host, port, servername: net.isIP(host) === 0 ? host : undefined })
      : net.connect({ host, port });
    socket.setNoDelay(true);
    socket.unref();
    const entry: ProbeSocket = { socket, pending: undefined, answer: undefined, late: false, buffered: '' };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      entry.buffered += chunk;
      // One reply line per PING; a bulk or error reply ends its first line with CRLF as well.
      const end = entry.buffered.indexOf('\r\n');
      if (end === -1) return;
      entry.buffered = '';
      const late = entry.late && entry.answer !== undefined;
      entry.late = false;
      entry.answer?.(true);
      if (late && !this.#closed) this.options.onLateAnswer?.();
    });
    const failed = () => {
      if (this.#sockets.get(address) === entry) this.#sockets.delete(address);
      entry.answer?.(false);
    };
    socket.on('error', failed);
    socket.on('close', failed);
    this.#sockets.set(address, entry);
    return entry;
  }

  #drop(address: string): void {
    const entry = this.#sockets.get(address);
    if (entry === undefined) return;
    this.#sockets.delete(address);
    entry.socket.destroy();
    entry.answer?.(false);
  }
}
