/**
 * The cluster primary's listening socket: it accepts every connection and hands it to a ready
 * worker in turn, over the worker's IPC channel (the worker's side: src/server/handed-connections.ts).
 *
 * Why not Node's own cluster round-robin: the primary keeps its copy of each connection until the
 * worker acknowledges it, so a worker killed during a hand-over leaves that connection open in the
 * primary, unanswered, until the client gives up (`bench/cluster-scheduling.ts`: one hung request
 * per SIGKILL). Here the primary's copy is closed as soon as the connection is written to the
 * channel (the kernel carries it to the worker, or closes it if the worker dies first), and one
 * still queued for a worker that dies is closed: the client sees its connection reset, never a
 * hang. Node's other policy (the workers accept themselves) has no
 * such hole but shares the load unevenly (up to 80/20 in the same bench).
 *
 * A connection that arrives while no worker is ready (at startup, or when every worker died at
 * once) waits for one, up to WAIT_FOR_WORKER_MS, and at most MAX_WAITING of them.
 */
import type { Worker } from 'node:cluster';
import { createServer, type Server, type Socket } from 'node:net';
import { HANDOFF_MESSAGE } from '../server/handed-connections.js';

const WAIT_FOR_WORKER_MS = 10_000;
const MAX_WAITING = 1024;

export class ConnectionDistributor {
  readonly #server: Server;
  /** Workers taking connections, in turn. */
  #ready: Worker[] = [];
  #turn = 0;
  /** Connections written to a worker's channel that it has not taken yet, per worker. */
  readonly #handing = new Map<Worker, Set<Socket>>();
  readonly #waiting = new Map<Socket, NodeJS.Timeout>();
  #closed = false;

  constructor() {
    this.#server = createServer({ pauseOnConnect: true }, (socket) => this.#dispatch(socket));
  }

  /** Listens on host:port (0: any free port); resolves to the URL bound. */
  listen(host: string, port: number): Promise<string> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen({ host, port }, () => {
        this.#server.off('error', reject);
        const address = this.#server.address();
        const bound = typeof address === 'object' && address !== null ? address.port : port;
        resolve(`http://${host.includes(':') ? `[${host}]` : host}:${bound}`);
      });
    });
  }

  /** `worker` takes connections from now on (it said it is ready). */
  add(worker: Worker): void {
    if (this.#closed || this.#ready.includes(worker)) return;
    this.#ready.push(worker);
    this.#handing.set(worker, new Set());
    const waiting = [...this.#waiting];
    this.#waiting.clear();
    for (const [socket, timer] of waiting) {
      clearTimeout(timer);
      this.#dispatch(socket);
    }
  }

  /** `worker` takes no more connections (it is stopping); those already sent to it are its own. */
  remove(worker: Worker): void {
    this.#ready = this.#ready.filter((w) => w !== worker);
  }

  /**
   * `worker` is gone. A connection still being handed to it is closed: nobody else would close it,
   * and its client would wait for an answer that never comes.
   */
  exited(worker: Worker): void {
    this.remove(worker);
    for (const socket of this.#handing.get(worker) ?? []) socket.destroy();
    this.#handing.delete(worker);
  }

  /** Stops accepting connections, and closes those waiting for a worker. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#server.close();
    for (const [socket, timer] of this.#waiting) {
      clearTimeout(timer);
      socket.destroy();
    }
    this.#waiting.clear();
  }

  #dispatch(socket: Socket): void {
    if (socket.destroyed) return;
    const worker = this.#nextWorker();
    if (worker === undefined) {
      this.#wait(socket);
      return;
    }
    const handing = this.#handing.get(worker);
    handing?.add(socket);
    // keepOpen: Node would otherwise keep its own copy of the connection until the worker
    // acknowledges it, and (Node 20) never close it if the worker dies first. Once the write is
    // done the connection travels with the message, so the primary's copy is closed at once; a
    // write that failed closes the connection, which the client sees as a reset.
    worker.send(HANDOFF_MESSAGE, socket, { keepOpen: true }, () => {
      handing?.delete(socket);
      socket.destroy();
    });
  }

  #nextWorker(): Worker | undefined {
    for (let i = 0; i < this.#ready.length; i++) {
      const worker = this.#ready[(this.#turn + i) % this.#ready.length];
      if (worker?.isConnected()) {
        this.#turn = (this.#turn + i + 1) % this.#ready.length;
        return worker;
      }
    }
    return undefined;
  }

  #wait(socket: Socket): void {
    if (this.#closed || this.#waiting.size >= MAX_WAITING) {
      socket.destroy();
      return;
    }
    const timer = setTimeout(() => {
      this.#waiting.delete(socket);
      socket.destroy();
    }, WAIT_FOR_WORKER_MS);
    timer.unref();
    this.#waiting.set(socket, timer);
    socket.once('close', () => {
      clearTimeout(timer);
      this.#waiting.delete(socket);
    });
  }
}
