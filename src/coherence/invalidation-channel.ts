/**
 * `InvalidationChannel<Op>`: how an in-process copy of shared state (the cache's L1, the sessions'
 * local cache) is told, on every instance, that the shared state changed. One pub/sub channel per
 * user of it (named in keys.ts; sharded on Cluster); every instance subscribes, a write publishes
 * what it changed, every other instance drops its copies.
 *
 * A message is JSON `{o, t, x}`: `o` the sender's origin id (an instance ignores its own messages:
 * it already applied them), `t` the send time in epoch milliseconds with sub-millisecond precision
 * (receivers record the lag), `x` the operations, whose shape belongs to the user of the channel.
 * Operations queued in one tick go out as one message, so a burst of writes costs one PUBLISH.
 *
 * A message with `p` (a nonce) and no operations is a probe: the sender waits to receive it
 * itself, which proves its subscription is live. After a reconnection the command connection can
 * be back before the subscriber connection is, so a copy is trusted again only once `confirm()`
 * has seen a probe come back.
 *
 * A message with `b` (a nonce) is a barrier: every other instance answers it with `a` (the same
 * nonce) once it has handled it, and so everything the sender published before it (one channel,
 * one shard: a subscriber receives a publisher's messages in order). `barrier()` waits for as many
 * answers as PUBLISH counted receivers, its own receipt included, so a writer can return only when
 * every instance listening has dropped its copies. Where the receivers are not counted (the REST
 * topology's polled channels answer 0) it waits for nothing.
 *
 * Delivery is at most once: a message sent while an instance is disconnected is lost to it. That
 * is why copies drop whenever Redis comes back, are distrusted until `confirm()`, and have an age
 * limit (the trust policy, copies.ts, which is the one user of this channel).
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { Store, Unsubscribe } from '../redis/store.js';

interface Message<Op> {
  o: string;
  t: number;
  x: Op[];
  p?: string;
  b?: string;
  a?: string;
}

/** What `barrier()` saw: how many instances PUBLISH reached, and how many have answered. */
export interface BarrierResult {
  receivers: number;
  answered: number;
}

/** Epoch milliseconds with sub-millisecond precision, comparable between processes on one host. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

export interface InvalidationHandlers<Op> {
  /** Apply operations received from another instance. */
  apply(ops: readonly Op[], origin: string, lagMs: number): void;
  /** Operations that could not be published (Redis unreachable), for the user to retry. */
  undelivered(ops: readonly Op[]): void;
}

/** Where the channel counts what it sent and records how late messages arrived. */
export interface LagSink {
  published: number;
  record(lagMs: number): void;
}

export interface InvalidationChannelOptions<Op> {
  store: Store;
  channel: string;
  /** This instance's id; messages carrying it are its own. */
  origin: string;
  handlers: InvalidationHandlers<Op>;
  logger: Logger;
  /** Names the channel in log lines ("cache invalidation"). */
  label: string;
  lag?: LagSink;
  /** Folds `op` into the last queued operation when possible (true), so a burst makes one. */
  merge?: (last: Op, op: Op) => boolean;
}

const PROBE_TIMEOUT_MS = 500;
const PROBE_RETRY_MS = 50;

export class InvalidationChannel<Op> {
  readonly origin: string;
  #queue: Op[] = [];
  #scheduled = false;
  #unsubscribe: Unsubscribe | undefined;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #probes = new Map<string, () => void>();
  /** Pending barriers: called with the origin of each answer (this instance's own receipt too). */
  readonly #barriers = new Map<string, (origin: string) => void>();
  readonly #options: InvalidationChannelOptions<Op>;

  constructor(options: InvalidationChannelOptions<Op>) {
    this.#options = options;
    this.origin = options.origin;
  }

  /** Subscribes; while Redis is unreachable the subscription is kept pending by the layer. */
  async start(): Promise<void> {
    this.#unsubscribe = await this.#options.store.subscribe(this.#options.channel, (message) =>
      this.#receive(message),
    );
  }

  async stop(): Promise<void> {
    await this.flush();
    await this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  /** Queues an operation; queued operations are published together at the end of this tick. */
  publish(op: Op): void {
    const last = this.#queue.at(-1);
    if (last === undefined || this.#options.merge?.(last, op) !== true) this.#queue.push(op);
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
  probe(timeoutMs: number = PROBE_TIMEOUT_MS): Promise<boolean> {
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
      const message: Message<Op> = { o: this.origin, t: preciseNow(), x: [], p: nonce };
      // A failed publish is a probe that never arrives: the timer answers false.
      this.#options.store.publish(this.#options.channel, JSON.stringify(message)).catch(() => {});
    });
  }

  /**
   * Publishes what is queued, then a barrier; resolves once every instance the barrier reached has
   * handled it (so everything published before it), or after `timeoutMs` with fewer answers.
   */
  async barrier(timeoutMs: number): Promise<BarrierResult> {
    await this.flush();
    const nonce = randomBytes(8).toString('hex');
    const answered = new Set<string>();
    let receivers = Number.POSITIVE_INFINITY;
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.#barriers.delete(nonce);
        resolve({ receivers: Number.isFinite(receivers) ? receivers : 0, answered: answered.size });
      };
      const timer = setTimeout(finish, timeoutMs);
      timer.unref();
      this.#barriers.set(nonce, (origin) => {
        answered.add(origin);
        if (answered.size >= receivers) finish();
      });
      const message: Message<Op> = { o: this.origin, t: preciseNow(), x: [], b: nonce };
      this.#options.store.publish(this.#options.channel, JSON.stringify(message)).then(
        (count) => {
          receivers = count;
          if (answered.size >= receivers) finish();
        },
        () => {
          receivers = 0;
          finish();
        },
      );
    });
  }

  /**
   * Probes, with growing pauses, until a probe comes back while `usable()` (true), or until
   * `wanted()` turns false (false: a newer confirmation or a close superseded this one).
   */
  async confirm(usable: () => boolean, wanted: () => boolean): Promise<boolean> {
    for (let pause = PROBE_RETRY_MS; wanted(); pause = Math.min(pause * 2, PROBE_TIMEOUT_MS)) {
      if (usable() && (await this.probe())) return wanted();
      await new Promise((resolve) => setTimeout(resolve, pause).unref());
    }
    return false;
  }

  async #send(ops: Op[]): Promise<void> {
    const message: Message<Op> = { o: this.origin, t: preciseNow(), x: ops };
    try {
      await this.#options.store.publish(this.#options.channel, JSON.stringify(message));
      if (this.#options.lag !== undefined) this.#options.lag.published++;
    } catch (error) {
      this.#options.logger.debug(
        { err: error, ops: ops.length },
        `${this.#options.label} not published; handed back for retry`,
      );
      this.#options.handlers.undelivered(ops);
    }
  }

  #receive(raw: string): void {
    let message: Message<Op>;
    try {
      message = JSON.parse(raw) as Message<Op>;
    } catch {
      this.#options.logger.warn(
        { channel: this.#options.channel },
        `malformed ${this.#options.label} message ignored`,
      );
      return;
    }
    if (message.o === this.origin) {
      if (typeof message.p === 'string') this.#probes.get(message.p)?.();
      if (typeof message.b === 'string') this.#barriers.get(message.b)?.(this.origin);
      return;
    }
    if (typeof message.a === 'string') {
      this.#barriers.get(message.a)?.(message.o);
      return;
    }
    if (typeof message.b === 'string') {
      // Everything this sender published before has been handled: say so.
      const answer: Message<Op> = { o: this.origin, t: preciseNow(), x: [], a: message.b };
      this.#options.store.publish(this.#options.channel, JSON.stringify(answer)).catch(() => {});
      return;
    }
    if (!Array.isArray(message.x) || message.x.length === 0) return;
    const lagMs = preciseNow() - message.t;
    this.#options.handlers.apply(message.x, message.o, lagMs);
    this.#options.lag?.record(lagMs);
  }
}
