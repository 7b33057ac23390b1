/**
 * The one wrapper every Redis call goes through: breaker check, command timeout, statistics and
 * error classification into typed errors.
 *
 * - Breaker open → RedisUnavailableError at once, without touching the socket.
 * - No reply within the timeout → RedisTimeoutError (the deadline queue, no timer per call).
 * - Connection-level failure (offline, socket closed, CLUSTERDOWN, LOADING, ...) →
 *   RedisUnavailableError; counted by the breaker.
 * - An error reply (WRONGTYPE, script error, ...) → RedisCommandError; Redis is up, so the
 *   breaker counts it as a success.
 *
 * This is the hot path (bench/redis-wrapper.ts): one small record per call, removed from the
 * deadline queue as soon as the reply arrives, and one clock reading at each end of the call.
 */
import { ErrorReply } from 'redis';
import { PlexusError, RedisCommandError, RedisTimeoutError, RedisUnavailableError } from '../errors.js';
import type { CircuitBreaker } from './breaker.js';
import type { Deadline, DeadlineQueue } from './deadlines.js';
import type { Stats } from './stats.js';
import { errorMessage } from './topology/client-options.js';
import type { RedisArg, SendOptions, Topology } from './topology/topology.js';

/** Error replies that mean "not available right now" rather than "your command is wrong". */
const UNAVAILABLE_REPLIES = /^(CLUSTERDOWN|TRYAGAIN|LOADING|MASTERDOWN|READONLY|BUSY|NOREPLICAS)\b/;

/** One call in flight: its deadline entry and how to settle the caller's promise. */
class PendingCall implements Deadline {
  at = 0;
  prev: Deadline | undefined = undefined;
  next: Deadline | undefined = undefined;
  constructor(
    readonly executor: Executor,
    readonly command: string,
    readonly node: string,
    readonly start: number,
    readonly resolve: (value: never) => void,
    readonly reject: (error: unknown) => void,
    /** Turns the reply into the caller's value (e.g. 'OK' → true) without another promise. */
    readonly map: ((reply: unknown) => unknown) | undefined,
  ) {}

  expire(): void {
    this.executor.timedOut(this);
  }
}

export class Executor {
  constructor(
    private readonly breaker: CircuitBreaker,
    private readonly deadlines: DeadlineQueue,
    private readonly stats: Stats,
    /** Told about every availability failure (timeout, lost connection) and the node it hit. */
    private readonly onUnavailable: (node: string) => void = () => {},
  ) {}

  /** Runs any call (a direct node call, a publish) through the timeout, breaker and stats. */
  run<T>(command: string, node: string, call: () => Promise<unknown>): Promise<T> {
    if (!this.breaker.allows()) return this.#refuse();
    return new Promise<T>((resolve, reject) => {
      const start = performance.now();
      const pending = new PendingCall(
        this,
        command,
        node,
        start,
        resolve as (v: never) => void,
        reject,
        undefined,
      );
      this.deadlines.add(pending, start);
      call().then(
        (reply) => this.#replied(pending, reply),
        (error: unknown) => this.#failed(pending, error),
      );
    });
  }

  /**
   * The Store's path: one command through `topology`, its reply passed through `map`. The same as
   * `run`, minus a closure per call and, with `map`, the extra promise an `await` would cost.
   */
  send<T>(
    topology: Topology,
    args: RedisArg[],
    options: SendOptions,
    map?: (reply: unknown) => T,
  ): Promise<T> {
    if (!this.breaker.allows()) return this.#refuse();
    const node = topology.nodeFor(options.key);
    return new Promise<T>((resolve, reject) => {
      const start = performance.now();
      const pending = new PendingCall(
        this,
        args[0] as string,
        node,
        start,
        resolve as (v: never) => void,
        reject,
        map,
      );
      this.deadlines.add(pending, start);
      topology.send(args, options).then(
        (reply) => this.#replied(pending, reply),
        (error: unknown) => this.#failed(pending, error),
      );
    });
  }

  #refuse<T>(): Promise<T> {
    this.stats.rejected();
    return Promise.reject(new RedisUnavailableError(this.breaker.reason || 'circuit breaker open'));
  }

  /** Called by the deadline queue; the call's reply, if it ever comes, is then ignored. */
  /** Set when the layer closes: calls still pending then are refused, not counted as timeouts. */
  #closed = false;

  /** Rejects every call still in flight with REDIS_UNAVAILABLE; used by RedisLayer.close(). */
  close(): void {
    this.#closed = true;
    this.deadlines.expireAll();
  }

  timedOut(pending: PendingCall): void {
    if (this.#closed) {
      pending.reject(new RedisUnavailableError('the connection layer was closed'));
      return;
    }
    const now = performance.now();
    this.stats.failure(now - pending.start, pending.node, true, now);
    this.breaker.failure('timeout', now);
    this.onUnavailable(pending.node);
    pending.reject(new RedisTimeoutError(pending.command, this.deadlines.timeoutMs));
  }

  #replied(pending: PendingCall, reply: unknown): void {
    if (!this.deadlines.settle(pending)) return;
    const now = performance.now();
    this.stats.success(now - pending.start, pending.node, now);
    this.breaker.success(now);
    if (pending.map === undefined) {
      pending.resolve(reply as never);
      return;
    }
    try {
      pending.resolve(pending.map(reply) as never);
    } catch (error) {
      pending.reject(new RedisCommandError(pending.command, error));
    }
  }

  #failed(pending: PendingCall, error: unknown): void {
    if (!this.deadlines.settle(pending)) return;
    const now = performance.now();
    const typed = classify(pending.command, error);
    if (typed instanceof RedisCommandError) {
      this.stats.success(now - pending.start, pending.node, now);
      this.breaker.success(now);
    } else if (typed.code === 'REDIS_UNAVAILABLE') {
      this.stats.failure(now - pending.start, pending.node, false, now);
      this.breaker.failure(errorMessage(error), now);
      this.onUnavailable(pending.node);
    }
    pending.reject(typed);
  }
}

function classify(command: string, error: unknown): PlexusError {
  if (error instanceof PlexusError) return error;
  if (error instanceof ErrorReply && !UNAVAILABLE_REPLIES.test(error.message)) {
    return new RedisCommandError(command, error);
  }
  return new RedisUnavailableError(errorMessage(error), { cause: error });
}
