/**
 * The plots' data on the server: every instance's points reduced to a fixed number of time buckets
 * over the window (PLOT_BUCKETS, so the answer does not grow with the step), and the instances
 * combined into at most SERIES_LIMIT series per plot — one per instance, else one per server, else
 * one for the whole cluster. What the page gets is a few KB however many instances there are.
 *
 * Within a bucket an instance's points are averaged (rates, gauges) or their maximum taken (p99
 * figures); across instances rates and sizes are summed, p99 figures take the maximum and ratios
 * (CPU, Redis average latency, cache hit rate) the mean. `-1` (no cache lookups) is no value.
 *
 * `BucketSet` keeps one instance's accumulators, bucket by bucket, and takes points in time order
 * (a point at or before the last one taken is ignored, so two reads that fetched the same points
 * do not count them twice): a reader fetches only the points after the last one it has.
 */
import { POINT_FIELDS, type PointField } from './point.js';
import type { PlotHistory, PlotSeries } from './shapes.js';

/** Buckets over the window; the bucket is never shorter than the history step. */
export const PLOT_BUCKETS = 120;
/** More instances than this are drawn per server; more servers than this as one cluster series. */
export const SERIES_LIMIT = 8;

type ValueField = Exclude<PointField, 't'>;
type Within = 'mean' | 'max';
type Across = 'sum' | 'max' | 'mean';

const COMBINE: Record<ValueField, [Within, Across]> = {
  requestsPerMin: ['mean', 'sum'],
  latencyP99Ms: ['max', 'max'],
  errorsPerMin: ['mean', 'sum'],
  cpuPercent: ['mean', 'mean'],
  rssBytes: ['mean', 'sum'],
  eventLoopP99Ms: ['max', 'max'],
  redisAvgMs: ['mean', 'mean'],
  redisP99Ms: ['max', 'max'],
  redisOpsPerSec: ['mean', 'sum'],
  cacheHitRate: ['mean', 'mean'],
  wsConnections: ['mean', 'sum'],
  wsMessagesPerSec: ['mean', 'sum'],
};

/** The plotted fields, in the order of a series' `values`. */
export const VALUE_FIELDS = POINT_FIELDS.slice(1) as ValueField[];
export const ACROSS: Across[] = VALUE_FIELDS.map((f) => COMBINE[f][1]);
const WITHIN: Within[] = VALUE_FIELDS.map((f) => COMBINE[f][0]);
const F = VALUE_FIELDS.length;

export function bucketMsFor(windowMs: number, stepMs: number): number {
  return Math.max(stepMs, Math.ceil(windowMs / PLOT_BUCKETS / 1000) * 1000);
}

const round = (v: number) => (Math.abs(v) >= 1000 ? Math.round(v) : Math.round(v * 1000) / 1000);

/** One instance's points, reduced bucket by bucket. */
export class BucketSet {
  /** Time of the last point taken. */
  last = Number.NEGATIVE_INFINITY;
  /** Per bucket start: per field, the sum (mean) or the maximum (max), then the counts. */
  readonly #buckets = new Map<number, Float64Array>();

  constructor(readonly bucketMs: number) {}

  /** Takes rows in the order of POINT_FIELDS, oldest first; rows at or before `last` are skipped. */
  add(rows: readonly (readonly number[])[]): void {
    for (const row of rows) {
      const t = row[0]!;
      if (!(t > this.last)) continue;
      this.last = t;
      const start = t - (t % this.bucketMs);
      let acc = this.#buckets.get(start);
      if (acc === undefined) {
        acc = new Float64Array(2 * F);
        for (let f = 0; f < F; f++) if (WITHIN[f] === 'max') acc[f] = Number.NEGATIVE_INFINITY;
        this.#buckets.set(start, acc);
      }
      for (let f = 0; f < F; f++) {
        const v = row[f + 1]!;
        if (!Number.isFinite(v) || (VALUE_FIELDS[f] === 'cacheHitRate' && v < 0)) continue;
        acc[f] = WITHIN[f] === 'max' ? Math.max(acc[f]!, v) : acc[f]! + v;
        acc[F + f]!++;
      }
    }
  }

  /** Forgets the buckets that start before `from`. */
  drop(from: number): void {
    for (const start of this.#buckets.keys()) if (start < from) this.#buckets.delete(start);
  }

  starts(): IterableIterator<number> {
    return this.#buckets.keys();
  }

  /** The instance's value of field `f` (index in VALUE_FIELDS) in the bucket at `start`, or null. */
  value(start: number, f: number): number | null {
    const acc = this.#buckets.get(start);
    if (acc === undefined || acc[F + f] === 0) return null;
    return WITHIN[f] === 'max' ? acc[f]! : acc[f]! / acc[F + f]!;
  }
}

export interface SeriesMember {
  id: string;
  serverName: string;
  pid: number;
}

/** How the shown instances become series: per instance, per server, or the whole cluster. */
export function groupSeries(members: readonly SeriesMember[]): {
  grouping: PlotHistory['grouping'];
  groups: { id: string; label: string; ids: string[] }[];
} {
  if (members.length <= SERIES_LIMIT) {
    return {
      grouping: 'instance',
      groups: members.map((m) => ({ id: m.id, label: `${m.serverName} pid ${m.pid}`, ids: [m.id] })),
    };
  }
  const servers = new Map<string, string[]>();
  for (const m of members) servers.set(m.serverName, [...(servers.get(m.serverName) ?? []), m.id]);
  if (servers.size <= SERIES_LIMIT) {
    return {
      grouping: 'server',
      groups: [...servers].map(([name, ids]) => ({
        id: `server:${name}`,
        label: `${name} (${ids.length} instance${ids.length === 1 ? '' : 's'})`,
        ids,
      })),
    };
  }
  return {
    grouping: 'cluster',
    groups: [
      {
        id: 'cluster',
        label: `cluster (${members.length} instances, ${servers.size} servers)`,
        ids: members.map((m) => m.id),
      },
    ],
  };
}

/**
 * The plots' data from bucket `since` on (bucket starts ≥ since): the buckets where any series has
 * a value, and every series with a value (or null) per field and bucket.
 */
export function plotHistory(
  members: readonly SeriesMember[],
  sets: ReadonlyMap<string, BucketSet>,
  bucketMs: number,
  since: number,
): PlotHistory {
  const { grouping, groups } = groupSeries(members);
  const starts = new Set<number>();
  for (const m of members) {
    const set = sets.get(m.id);
    if (set !== undefined) for (const start of set.starts()) if (start >= since) starts.add(start);
  }
  const t = [...starts].sort((a, b) => a - b);
  const series: PlotSeries[] = groups.map((group) => {
    const mine = group.ids.map((id) => sets.get(id)).filter((s): s is BucketSet => s !== undefined);
    const values = VALUE_FIELDS.map((_, f) =>
      t.map((start) => {
        let n = 0;
        let acc = ACROSS[f] === 'max' ? Number.NEGATIVE_INFINITY : 0;
        for (const set of mine) {
          const v = set.value(start, f);
          if (v === null) continue;
          n++;
          acc = ACROSS[f] === 'max' ? Math.max(acc, v) : acc + v;
        }
        if (n === 0) return null;
        return round(ACROSS[f] === 'mean' ? acc / n : acc);
      }),
    );
    return { id: group.id, label: group.label, instances: group.ids.length, values };
  });
  return { bucketMs, grouping, fields: VALUE_FIELDS, across: ACROSS, since, t, series };
}
