/**
 * Custom counters, `increment(name, by)`: counted in process, summed over the cluster into the
 * hash `<prefix>:metrics:counters` (no expiry: a cluster total since the hash was created).
 */
import type { Logger } from '../logger.js';
import { withFallback } from '../redis/fallback.js';
import type { LayerView } from '../redis/view.js';
import { type Batches, localFallback, type Sourced } from './cluster.js';
import { add, type Deltas, merge, pairs, sorted } from './deltas.js';
import { MetricsError } from './errors.js';
import { metricsHIncr } from './scripts.js';

export interface CountersDocument extends Sourced {
  counters: Record<string, number>;
}

const COUNTER_NAME = /^[A-Za-z0-9_.:/-]{1,100}$/;

export class Counters {
  #pending: Deltas = new Map();
  readonly #local: Deltas = new Map();

  constructor(
    private readonly layer: LayerView,
    private readonly logger: Logger,
  ) {}

  increment(name: string, by: number): void {
    if (typeof name !== 'string' || !COUNTER_NAME.test(name)) {
      throw new MetricsError(
        'METRICS_INVALID_NAME',
        `Counter name ${JSON.stringify(name)}: use 1-100 of A-Z a-z 0-9 _ . : / -`,
      );
    }
    if (!Number.isSafeInteger(by)) {
      throw new MetricsError(
        'METRICS_INVALID_ARGUMENT',
        `Counter ${name}: the increment must be an integer, got ${by}`,
      );
    }
    add(this.#pending, name, by);
    add(this.#local, name, by);
  }

  /** This instance's counters since it started. */
  local(): Record<string, number> {
    return Object.fromEntries(this.#local);
  }

  /** Counters not yet flushed. */
  get pending(): number {
    return this.#pending.size;
  }

  flush(batches: Batches): Promise<void> {
    const counters = this.#pending;
    if (counters.size === 0) return Promise.resolve();
    this.#pending = new Map();
    return batches.send(metricsHIncr, this.layer.keys.instances.counters(), [0, ...pairs(counters)], () =>
      merge(this.#pending, counters),
    );
  }

  read(): Promise<CountersDocument> {
    return withFallback<CountersDocument>(
      this.layer,
      async () => {
        const stored = await this.layer.store.hGetAll(this.layer.keys.instances.counters());
        const merged = new Map(Object.entries(stored).map(([f, v]) => [f, Number(v)]));
        for (const [f, v] of this.#pending) add(merged, f, v);
        return { source: 'cluster', singleInstance: false, counters: sorted(merged) };
      },
      () => ({ source: 'local', singleInstance: true, counters: sorted(this.#local) }),
      localFallback(this.logger, 'counters'),
    );
  }
}
