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
 */
import { ErrorReply } from 'redis';
import { PlexusError, RedisCommandError, RedisTimeoutError, RedisUnavailableError } from '../errors.js';
import type { CircuitBreaker } from './breaker.js';
import type { DeadlineQueue } from './deadlines.js';
import type { Stats } from './stats.js';
import { errorMessage } from './topology/client-options.js';

/** Error replies that mean "not available right now" rather than "your command is wrong". */
const UNAVAILABLE_REPLIES = /^(CLUSTERDOWN|TRYAGAIN|LOADING|MASTERDOWN|READONLY|BUSY|NOREPLICAS)\b/;

export class Executor {
  constructor(
    private readonly breaker: CircuitBreaker,
    private readonly deadlines: DeadlineQueue,
    private readonly stats: Stats,
    /** Told about every availability failure (timeout, lost connection) and the node it hit. */
    private readonly onUnavailable: (node: string) => void = () => {},
  ) {}

  run<T>(command: string, node: string, call: () => Promise<unknown>): Promise<T> {
    if (!this.breaker.allows()) {
      this.stats.rejected();
      return Promise.reject(new RedisUnavailableError(this.breaker.reason || 'circuit breaker open'));
    }
    const start = performance.now();
    return new Promise<T>((resolve, reject) => {
      const deadline = this.deadlines.track(() => {
        this.stats.failure(performance.now() - start, node, true);
        this.breaker.failure('timeout');
        this.onUnavailable(node);
        reject(new RedisTimeoutError(command, this.deadlines.timeoutMs));
      });
      call().then(
        (reply) => {
          if (deadline.settled) return;
          deadline.settled = true;
          this.stats.success(performance.now() - start, node);
          this.breaker.success();
          resolve(reply as T);
        },
        (error: unknown) => {
          if (deadline.settled) return;
          deadline.settled = true;
          const typed = classify(command, error);
          const ms = performance.now() - start;
          if (typed instanceof RedisCommandError) {
            this.stats.success(ms, node);
            this.breaker.success();
          } else if (typed.code === 'REDIS_UNAVAILABLE') {
            this.stats.failure(ms, node, false);
            this.breaker.failure(errorMessage(error));
            this.onUnavailable(node);
          }
          reject(typed);
        },
      );
    });
  }
}

function classify(command: string, error: unknown): PlexusError {
  if (error instanceof PlexusError) return error;
  if (error instanceof ErrorReply && !UNAVAILABLE_REPLIES.test(error.message)) {
    return new RedisCommandError(command, error);
  }
  return new RedisUnavailableError(errorMessage(error), { cause: error });
}
