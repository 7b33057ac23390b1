/**
 * How long this process was kept from running: the event loop's delay (a busy loop, or a loaded
 * machine not scheduling the process). A timer fires that much late, and so may the tick that
 * settles what it started: bounds on how long something may wait add twice the longest stall to
 * what the code promises, so they hold on a loaded machine and still fail when something waits
 * for what it should not.
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

export class LoopStalls {
  readonly #histogram: IntervalHistogram;

  constructor() {
    this.#histogram = monitorEventLoopDelay({ resolution: 5 });
    this.#histogram.enable();
  }

  /** The longest stall seen so far, in ms. */
  maxMs(): number {
    return this.#histogram.count === 0 ? 0 : this.#histogram.max / 1e6;
  }

  /** All the time the loop was late, in ms (the stalls added up). */
  totalMs(): number {
    return this.#histogram.count === 0 ? 0 : (this.#histogram.mean * this.#histogram.count) / 1e6;
  }

  /** `ms` plus twice the longest stall: the late timer and the late tick after it. */
  bound(ms: number): number {
    return ms + 2 * this.maxMs();
  }

  stop(): void {
    this.#histogram.disable();
  }
}
