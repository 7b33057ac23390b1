/**
 * Cluster-wide L1 invalidation over the cache's own pub/sub channel (`<prefix>:ch:cache:invalidate`,
 * sharded on Cluster). Every instance subscribes; a write publishes what it changed and every
 * other instance drops its L1 copies. The same messages wake instances waiting for a cluster lock
 * holder's value.
 *
 * A message is JSON `{o, t, x}`: `o` the sender's instance id (an instance ignores its own
 * messages: it already applied them), `t` the send time in epoch milliseconds with sub-millisecond
 * precision (receivers record the lag), `x` the operations:
 *   {n, k: [keys]}  keys of namespace n were set or deleted
 *   {n, g: [tags]}  entries of namespace n with these tags were deleted
 *   {n, c: 1}       namespace n and its children were cleared
 *   {a: 1}          every namespace was cleared
 * Operations queued in one tick go out as one message, so a burst of writes costs one PUBLISH.
 * A message with `p` (a nonce) and no operations is a probe: the sender waits to receive it itself,
 * which proves its subscription is live (after a reconnection the command connection can be back
 * before the subscriber connection is).
 *
 * Delivery is at most once: a message sent while an instance is disconnected is lost to it. That
 * is why an instance drops all of L1 whenever it regains Redis, and why L1 entries have a TTL.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { Store, Unsubscribe } from '../redis/store.js';
import type { LagRecorder } from './stats.js';

export type InvalidationOp =
  | { n: string; k: string[] }
  | { n: string; g: readonly string[] }
  | { n: string; c: 1 }
  | { a: 1 };

interface Message {
  o: string;
  t: number;
  x: InvalidationOp[];
  p?: string;
}

/** Epoch milliseconds with sub-millisecond precision, comparable between processes on one host. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

export interface InvalidationHandlers {
  /** Apply operations received from another instance. */
  apply(ops: readonly InvalidationOp[], origin: string, lagMs: number): void;
  /** Operations that could not be published, to be replayed when Redis is back. */
  undelivered(ops: readonly InvalidationOp[]): void;
}

export class InvalidationChannel {
  #queue: InvalidationOp[] = [];
  #scheduled = false;
  #unsubscribe: Unsubscribe | undefined;
  #inFlight = new Set<Promise<void>>();
  readonly #probes = new Map<string, () => void>();

  constructor(
    private readonly store: Store,
    private readonly channel: string,
    readonly origin: string,
    private readonly handlers: InvalidationHandlers,
    private readonly lag: LagRecorder,
    private readonly logger: Logger,
  ) {}

  /** Subscribes; while Redis is unreachable the subscription is kept pending by the layer. */
  async start(): Promise<void> {
    this.#unsubscribe = await this.store.subscribe(this.channel, (message) => this.#receive(message));
  }

  async stop(): Promise<void> {
    await this.flush();
    await this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  /** Queues an operation; queued operations are published together at the end of this tick. */
  publish(op: InvalidationOp): void {
    const last = this.#queue.at(-1);
    if (last !== undefined && 'k' in last && 'k' in op && last.n === op.n) last.k.push(...op.k);
    else this.#queue.push('k' in op ? { n: op.n, k: [...op.k] } : op);
    if (!this.#scheduled) {
      this.#scheduled = true;
      process.nextTick(() => void this.flush());
    }
  }

  /** Publishes what is queued now; resolves when every publish so far has settled. */
  async flush(): Promise<void> {
    this.#scheduled = false;
    if (this.#queue.length > 0) {
      const ops = this.#queue;
      this.#queue = [];
      const sending = this.#send(ops);
      this.#inFlight.add(sending);
      void sending.finally(() => this.#inFlight.delete(sending));
    }
    await Promise.all(this.#inFlight);
  }

  /** Publishes a probe; true once this instance received it, false after `timeoutMs`. */
  probe(timeoutMs: number): Promise<boolean> {
    const nonce = randomBytes(8).toString('hex');
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#probes.delete(nonce);
        resolve(false);
      }, timeoutMs);
      this.#probes.set(nonce, () => {
        clearTimeout(timer);
        this.#probes.delete(nonce);
        resolve(true);
      });
      const message: Message = { o: this.origin, t: preciseNow(), x: [], p: nonce };
      // A failed publish is a probe that never arrives: the timer answers false.
      this.store.publish(this.channel, JSON.stringify(message)).catch(() => {});
    });
  }

  async #send(ops: InvalidationOp[]): Promise<void> {
    const message: Message = { o: this.origin, t: preciseNow(), x: ops };
    try {
      await this.store.publish(this.channel, JSON.stringify(message));
      this.lag.published++;
    } catch (error) {
      this.logger.debug({ err: error, ops: ops.length }, 'cache invalidation not published; kept for replay');
      this.handlers.undelivered(ops);
    }
  }

  #receive(raw: string): void {
    let message: Message;
    try {
      message = JSON.parse(raw) as Message;
    } catch {
      this.logger.warn({ channel: this.channel }, 'malformed cache invalidation message ignored');
      return;
    }
    if (message.o === this.origin) {
      if (typeof message.p === 'string') this.#probes.get(message.p)?.();
      return;
    }
    if (!Array.isArray(message.x) || message.x.length === 0) return;
    const lagMs = preciseNow() - message.t;
    this.handlers.apply(message.x, message.o, lagMs);
    this.lag.record(lagMs);
  }
}
