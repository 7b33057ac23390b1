/**
 * Periodic flush of this instance's counters to Redis, and the cluster-wide read (see stats.ts for
 * the protocol). Both hashes share the `{cache-stats}` hash tag: one script writes them together.
 */
import type { Logger } from '../logger.js';
import type { Keys } from '../redis/keys.js';
import type { Store } from '../redis/store.js';
import type { L1 } from './l1.js';
import { cacheStatsFlush } from './scripts.js';
import { type CacheCounterSet, clusterTotals, type InstanceReport } from './stats.js';
import type { ClusterCacheStats } from './types.js';

/** Instance reports older than this many flush intervals are treated as gone. */
const LIVE_INTERVALS = 3;

export class ClusterStatsReporter {
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly keys: Keys,
    private readonly instanceId: string,
    private readonly counters: CacheCounterSet,
    private readonly l1: L1,
    private readonly intervalMs: number,
    private readonly usable: () => boolean,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.flush(), this.intervalMs);
    this.#timer.unref();
  }

  /** Final flush, then removes this instance's report so it stops counting as live at once. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
    if (this.usable()) {
      await this.store.hDel(this.keys.cache.instances(), [this.instanceId]).catch(() => {});
    }
  }

  /** Adds the counts since the last successful flush to the cluster totals; never throws. */
  flush(): Promise<void> {
    this.#flushing ??= this.#flush().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  async read(): Promise<ClusterCacheStats> {
    const [counters, raw] = await Promise.all([
      this.store.hGetAll(this.keys.cache.counters()),
      this.store.hGetAll(this.keys.cache.instances()),
    ]);
    const liveAfter = Date.now() - LIVE_INTERVALS * this.intervalMs;
    const reports: InstanceReport[] = [this.#report()];
    const gone: string[] = [];
    for (const [id, json] of Object.entries(raw)) {
      if (id === this.instanceId) continue;
      const report = parseReport(json);
      if (report !== undefined && report.at >= liveAfter) reports.push(report);
      else gone.push(id);
    }
    if (gone.length > 0) void this.store.hDel(this.keys.cache.instances(), gone).catch(() => {});
    // Read after the hashes: a flush that landed before them has been acknowledged by now.
    const unflushed = this.counters.pending().fields;
    return { instances: reports.length, ...clusterTotals(counters, unflushed, reports) };
  }

  async #flush(): Promise<void> {
    if (!this.usable()) return;
    const pending = this.counters.pending();
    const args: (string | number)[] = [this.instanceId, JSON.stringify(this.#report())];
    for (const [field, delta] of Object.entries(pending.fields)) args.push(field, delta);
    try {
      await this.store.runScript(
        cacheStatsFlush,
        [this.keys.cache.counters(), this.keys.cache.instances()],
        args,
      );
      pending.acknowledge();
    } catch (error) {
      this.logger.debug({ err: error }, 'cache statistics not flushed; will retry');
    }
  }

  #report(): InstanceReport {
    const l1: InstanceReport['l1'] = {};
    for (const ns of this.l1.namespaces()) {
      const usage = this.l1.usage(ns);
      l1[ns] = [usage.entries, usage.bytes];
    }
    return { at: Date.now(), l1 };
  }
}

function parseReport(json: string): InstanceReport | undefined {
  try {
    const report = JSON.parse(json) as InstanceReport;
    return typeof report.at === 'number' && typeof report.l1 === 'object' ? report : undefined;
  } catch {
    return undefined;
  }
}
