/**
 * Circuit breaker for the connection layer.
 *
 * Closed: calls pass; outcomes are counted in a rolling window of ten buckets. When the window
 * holds at least `volumeThreshold` calls and the failure share reaches `errorRatePercent`, or when
 * the layer trips it directly (connection lost, health check failed), it opens.
 * Open: calls are refused at once. After `resetMs` it becomes half-open.
 * Half-open: user calls are still refused; the layer sends one probe (a PING). Success closes the
 * breaker, failure opens it for another `resetMs`. Probing with the layer's own PING, rather than
 * with a user's call, means no user request ever pays for finding out that Redis is still down.
 *
 * Only availability failures count (timeouts, connection errors), never error replies such as
 * WRONGTYPE: a Redis that answers is up.
 */

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  windowMs: number;
  volumeThreshold: number;
  errorRatePercent: number;
  resetMs: number;
}

const BUCKETS = 10;

export class CircuitBreaker {
  #state: BreakerState = 'closed';
  #reason = '';
  #openedAt = 0;
  readonly #calls = new Array<number>(BUCKETS).fill(0);
  readonly #failures = new Array<number>(BUCKETS).fill(0);
  #bucketStart = 0;
  #bucket = 0;
  readonly #bucketMs: number;

  constructor(
    private readonly options: BreakerOptions,
    private readonly onChange: (state: BreakerState, reason: string) => void = () => {},
  ) {
    this.#bucketMs = options.windowMs / BUCKETS;
  }

  get state(): BreakerState {
    if (this.#state === 'open' && performance.now() - this.#openedAt >= this.options.resetMs) {
      this.#set('half-open', this.#reason);
    }
    return this.#state;
  }

  /** Why it last opened. */
  get reason(): string {
    return this.#reason;
  }

  /** True when a user call may go to Redis. */
  allows(): boolean {
    return this.#state === 'closed';
  }

  /** `now` (performance.now()) saves the hot path a clock reading when the caller has one. */
  success(now = performance.now()): void {
    this.#rotate(now);
    this.#calls[this.#bucket]!++;
  }

  failure(reason: string, now = performance.now()): void {
    this.#rotate(now);
    this.#calls[this.#bucket]!++;
    this.#failures[this.#bucket]!++;
    if (this.#state !== 'closed') return;
    const calls = sum(this.#calls);
    if (
      calls >= this.options.volumeThreshold &&
      (sum(this.#failures) * 100) / calls >= this.options.errorRatePercent
    ) {
      this.trip(`error rate over ${this.options.errorRatePercent}%: ${reason}`);
    }
  }

  /** Opens the breaker now. */
  trip(reason: string): void {
    this.#openedAt = performance.now();
    this.#set('open', reason);
  }

  /** Closes the breaker after a successful probe, with a fresh window. */
  close(): void {
    this.#calls.fill(0);
    this.#failures.fill(0);
    this.#set('closed', '');
  }

  #set(state: BreakerState, reason: string): void {
    const changed = state !== this.#state;
    this.#state = state;
    this.#reason = reason;
    if (changed) this.onChange(state, reason);
  }

  #rotate(now: number): void {
    if (now - this.#bucketStart < this.#bucketMs) return;
    const steps = Math.min(BUCKETS, Math.floor((now - this.#bucketStart) / this.#bucketMs));
    for (let i = 0; i < steps; i++) {
      this.#bucket = (this.#bucket + 1) % BUCKETS;
      this.#calls[this.#bucket] = 0;
      this.#failures[this.#bucket] = 0;
    }
    this.#bucketStart = now;
  }
}

function sum(values: number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
