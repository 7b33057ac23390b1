/**
 * The cluster primary's listening socket: it accepts every connection and hands it to a free
 * worker over the worker's IPC channel (the worker's side: src/server/handed-connections.ts).
 *
 * Why not Node's own cluster round-robin: its primary keeps a copy of each connection until the
 * worker acknowledges it, and a worker killed during a hand-over never does, so that connection
 * stays open, unanswered, until its client gives up (`bench/cluster-scheduling.ts`: one hung
 * request per SIGKILL). Here the primary's copy is closed as soon as the connection is written to
 * the channel (the kernel then carries it to the worker, or closes it if the worker dies first),
 * and a connection still queued for a worker that dies is closed: its client sees a reset, never
 * a hang. Node's other policy (the workers accept themselves) has no such hole but shares the
 * load unevenly (up to 80/20 in the same bench).
 *
 * As in Node's round-robin, a worker is free once it has acknowledged every connection sent to it
 * (TAKEN_MESSAGE), each connection goes to the next free worker in turn, and connections wait in
 * the primary while none is free: a worker whose event loop is stalled holds up one connection,
 * not half of them. A connection waits at most WAIT_FOR_WORKER_MS (at startup, or when every
 * worker died or stalled at once), and at most MAX_WAITING of them wait; beyond that they are
 * closed.
 */
import type { Worker } from 'node:cluster';
import { createServer, type Server, type Socket } from 'node:net';
import { HANDOFF_MESSAGE, isTakenMessage } from '../server/handed-connections.js';
import { listeningUrl } from '../server/listening-url.js';

const WAIT_FOR_WORKER_MS = 10_000;
const MAX_WAITING = 1024;

interface WorkerState {
  /** Connections sent and not acknowledged yet. */
  unacknowledged: number;
  /** Connections whose write to the channel has not completed: the primary still holds them. */
  readonly writing: Set<Socket>;
}

export class ConnectionDistributor {
  readonly #server: Server;
  /** Workers taking connections, in turn. */
  #ready: Worker[] = [];
  #turn = 0;
  readonly #workers = new Map<Worker, WorkerState>();
  /** Connections waiting for a free worker, oldest first, with the timer that gives up on them. */
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
        resolve(listeningUrl(this.#server, host, port));
      });
    });
  }

  /** `worker` takes connections from now on (it said it is ready). */
  add(worker: Worker): void {
    if (this.#closed || this.#workers.has(worker)) return;
    this.#workers.set(worker, { unacknowledged: 0, writing: new Set() });
    this.#ready.push(worker);
    worker.on('message', (message: unknown) => {
      if (isTakenMessage(message)) this.#taken(worker);
    });
    this.#handWaiting(worker);
  }

  /** `worker` takes no more connections (it is stopping); those already sent to it are its own. */
  remove(worker: Worker): void {
    this.#ready = this.#ready.filter((w) => w !== worker);
  }

  /**
   * `worker` is gone. A connection the primary was still writing to it is closed: nobody else
   * would close it, and its client would wait for an answer that never comes.
   */
  exited(worker: Worker): void {
    this.remove(worker);
    for (const socket of this.#workers.get(worker)?.writing ?? []) socket.destroy();
    this.#workers.delete(worker);
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
    const worker = this.#nextFree();
    if (worker === undefined) this.#wait(socket);
    else this.#hand(worker, socket);
  }

  #hand(worker: Worker, socket: Socket): void {
    const state = this.#workers.get(worker);
    if (state === undefined) return;
    state.unacknowledged++;
    state.writing.add(socket);
    // keepOpen: Node would otherwise keep its own copy of the connection until the worker
    // acknowledges it, and (Node 20) never close it if the worker dies first. Once written, the
    // connection travels with the message, so the primary's copy is closed at once; a write that
    // failed closes the connection, which the client sees as a reset.
    worker.send(HANDOFF_MESSAGE, socket, { keepOpen: true }, () => {
      state.writing.delete(socket);
      socket.destroy();
    });
  }

  #taken(worker: Worker): void {
    const state = this.#workers.get(worker);
    if (state === undefined) return;
    state.unacknowledged = Math.max(0, state.unacknowledged - 1);
    this.#handWaiting(worker);
  }

  /** Hands the oldest waiting connection to `worker` if it is free. */
  #handWaiting(worker: Worker): void {
    if (!this.#isFree(worker)) return;
    for (const [socket, timer] of this.#waiting) {
      this.#waiting.delete(socket);
      clearTimeout(timer);
      if (socket.destroyed) continue;
      this.#hand(worker, socket);
      return;
    }
  }

  #isFree(worker: Worker): boolean {
    return (
      this.#ready.includes(worker) && worker.isConnected() && this.#workers.get(worker)?.unacknowledged === 0
    );
  }

  /** The next free worker in turn. */
  #nextFree(): Worker | undefined {
    for (let i = 0; i < this.#ready.length; i++) {
      const index = (this.#turn + i) % this.#ready.length;
      const worker = this.#ready[index];
      if (worker !== undefined && this.#isFree(worker)) {
        this.#turn = (index + 1) % this.#ready.length;
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
  }
}
