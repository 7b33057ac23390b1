/**
 * Counters per namespace, and their cluster-wide totals.
 *
 * Each instance counts in process. Every CACHE_STATS_FLUSH_MS it adds what it counted since the
 * last successful flush to one Redis hash (field `<ns>|<counter>`, HINCRBY) and writes its L1 size
 * to a second hash (field: instance id, value: JSON with a timestamp), both in one script. Reading
 * the totals sums the first hash, plus this instance's not yet flushed counts, and the L1 sizes of
 * instances that reported within three flush intervals; older reports are removed. A failed flush
 * loses nothing: the unflushed counts are simply sent next time.
 */
import type { CacheCounters, ClusterCacheStats, InvalidationStats, NamespaceStats } from './types.js';

export const COUNTER_NAMES = [
  'l1Hits',
  'l2Hits',
  'misses',
  'coalesced',
  'loaderCalls',
  'loaderErrors',
  'l2Errors',
  'staleServed',
  'sets',
  'deletes',
] as const satisfies readonly (keyof CacheCounters)[];

export function emptyCounters(): CacheCounters {
  return {
    l1Hits: 0,
    l2Hits: 0,
    misses: 0,
    coalesced: 0,
    loaderCalls: 0,
    loaderErrors: 0,
    l2Errors: 0,
    staleServed: 0,
    sets: 0,
    deletes: 0,
  };
}

export function withRates(counters: CacheCounters, l1Entries: number, l1Bytes: number): NamespaceStats {
  const lookups = counters.l1Hits + counters.l2Hits + counters.misses;
  return {
    ...counters,
    errors: counters.loaderErrors + counters.l2Errors,
    hitRate: lookups === 0 ? 0 : (counters.l1Hits + counters.l2Hits) / lookups,
    l1Entries,
    l1Bytes,
  };
}

function add(into: CacheCounters, from: CacheCounters, sign = 1): void {
  for (const name of COUNTER_NAMES) into[name] += sign * from[name];
}

export class CacheCounterSet {
  readonly #current = new Map<string, CacheCounters>();
  readonly #flushed = new Map<string, CacheCounters>();

  /** The live counters of a namespace, to increment directly on hot paths. */
  of(ns: string): CacheCounters {
    let counters = this.#current.get(ns);
    if (counters === undefined) {
      counters = emptyCounters();
      this.#current.set(ns, counters);
    }
    return counters;
  }

  namespaces(): IterableIterator<string> {
    return this.#current.keys();
  }

  snapshot(ns: string): CacheCounters {
    return { ...this.of(ns) };
  }

  /** Counts since the last acknowledged flush, as hash fields; call `acknowledge` once stored. */
  pending(): { fields: Record<string, number>; acknowledge: () => void } {
    const fields: Record<string, number> = {};
    const sent = new Map<string, CacheCounters>();
    for (const [ns, current] of this.#current) {
      const delta = { ...current };
      const flushed = this.#flushed.get(ns);
      if (flushed !== undefined) add(delta, flushed, -1);
      for (const name of COUNTER_NAMES) if (delta[name] !== 0) fields[`${ns}|${name}`] = delta[name];
      sent.set(ns, delta);
    }
    return {
      fields,
      acknowledge: () => {
        for (const [ns, delta] of sent) {
          const flushed = this.#flushed.get(ns) ?? emptyCounters();
          add(flushed, delta);
          this.#flushed.set(ns, flushed);
        }
      },
    };
  }
}

export interface InstanceReport {
  at: number;
  /** Namespace → [L1 entries, L1 bytes]. */
  l1: Record<string, [number, number]>;
}

/** Sums the counters hash, the unflushed local counts and live instance reports. */
export function clusterTotals(
  counters: Record<string, string>,
  unflushed: Record<string, number>,
  reports: InstanceReport[],
): Omit<ClusterCacheStats, 'instances'> {
  const byNs = new Map<string, { counters: CacheCounters; entries: number; bytes: number }>();
  const slot = (ns: string) => {
    let s = byNs.get(ns);
    if (s === undefined) {
      s = { counters: emptyCounters(), entries: 0, bytes: 0 };
      byNs.set(ns, s);
    }
    return s;
  };
  const addField = (field: string, value: number) => {
    const bar = field.lastIndexOf('|');
    const name = field.slice(bar + 1) as keyof CacheCounters;
    if (bar > 0 && (COUNTER_NAMES as readonly string[]).includes(name) && Number.isFinite(value)) {
      slot(field.slice(0, bar)).counters[name] += value;
    }
  };
  for (const [field, value] of Object.entries(counters)) addField(field, Number(value));
  for (const [field, value] of Object.entries(unflushed)) addField(field, value);
  for (const report of reports) {
    for (const [ns, [entries, bytes]] of Object.entries(report.l1)) {
      const s = slot(ns);
      s.entries += entries;
      s.bytes += bytes;
    }
  }
  const namespaces: Record<string, NamespaceStats> = {};
  const total = emptyCounters();
  let entries = 0;
  let bytes = 0;
  for (const [ns, s] of [...byNs].sort(([a], [b]) => (a < b ? -1 : 1))) {
    namespaces[ns] = withRates(s.counters, s.entries, s.bytes);
    add(total, s.counters);
    entries += s.entries;
    bytes += s.bytes;
  }
  return { totals: withRates(total, entries, bytes), namespaces };
}

const LAG_SAMPLES = 1024;

/** The publish-to-applied delays of the last 1,024 invalidations received. */
export class LagRecorder {
  readonly #samples = new Float64Array(LAG_SAMPLES);
  #count = 0;
  published = 0;
  received = 0;

  record(ms: number): void {
    this.#samples[this.#count++ % LAG_SAMPLES] = Math.max(0, ms);
    this.received++;
  }

  snapshot(): InvalidationStats {
    const n = Math.min(this.#count, LAG_SAMPLES);
    const sorted = this.#samples.slice(0, n).sort();
    const at = (q: number) => (n === 0 ? null : round(sorted[Math.min(n - 1, Math.floor(q * n))]!));
    return { published: this.published, received: this.received, lagP50Ms: at(0.5), lagP99Ms: at(0.99) };
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
