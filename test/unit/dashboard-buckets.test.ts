/**
 * The plots' buckets (src/dashboard/buckets.ts): an instance's points reduced per bucket (mean, or
 * the maximum for p99 figures; -1 hit rates are no value), points taken once however often they are
 * read, and instances combined per instance, per server or for the cluster (sum, max or mean).
 */
import { describe, expect, it } from 'vitest';
import {
  BucketSet,
  bucketMsFor,
  plotHistory,
  SERIES_LIMIT,
  VALUE_FIELDS,
} from '../../src/dashboard/buckets.js';
import { POINT_FIELDS } from '../../src/dashboard/point.js';

const f = (name: string) => VALUE_FIELDS.indexOf(name as (typeof VALUE_FIELDS)[number]);

/** A point with `t` and the given figures (every other field 0). */
function point(t: number, figures: Record<string, number>): number[] {
  return POINT_FIELDS.map((name) => (name === 't' ? t : (figures[name] ?? 0)));
}

describe('bucket width', () => {
  it('divides the window into 120 buckets, never below the step', () => {
    expect(bucketMsFor(3_600_000, 5000)).toBe(30_000);
    expect(bucketMsFor(60_000, 1000)).toBe(1000);
    expect(bucketMsFor(600_000, 10_000)).toBe(10_000);
  });
});

describe('one instance', () => {
  it('averages rates, keeps the maximum of p99 figures, and skips -1 hit rates', () => {
    const set = new BucketSet(10_000);
    set.add([
      point(100_000, { requestsPerMin: 60, latencyP99Ms: 5, cacheHitRate: 0.5 }),
      point(105_000, { requestsPerMin: 120, latencyP99Ms: 40, cacheHitRate: -1 }),
      point(110_000, { requestsPerMin: 30, latencyP99Ms: 1, cacheHitRate: -1 }),
    ]);
    expect([...set.starts()]).toEqual([100_000, 110_000]);
    expect(set.value(100_000, f('requestsPerMin'))).toBe(90);
    expect(set.value(100_000, f('latencyP99Ms'))).toBe(40);
    expect(set.value(100_000, f('cacheHitRate'))).toBe(0.5);
    expect(set.value(110_000, f('cacheHitRate'))).toBeNull();
    expect(set.value(120_000, f('requestsPerMin'))).toBeNull();
  });

  it('takes a point once, however often it is read', () => {
    const set = new BucketSet(10_000);
    const rows = [point(100_000, { requestsPerMin: 60 }), point(101_000, { requestsPerMin: 0 })];
    set.add(rows);
    set.add(rows);
    set.add([point(102_000, { requestsPerMin: 30 })]);
    expect(set.value(100_000, f('requestsPerMin'))).toBe(30);
    expect(set.last).toBe(102_000);
  });

  it('forgets buckets older than the window', () => {
    const set = new BucketSet(1000);
    set.add([point(1000, {}), point(2000, {}), point(3000, {})]);
    set.drop(2000);
    expect([...set.starts()]).toEqual([2000, 3000]);
  });
});

describe('series', () => {
  const members = (n: number, servers: number) =>
    Array.from({ length: n }, (_, i) => ({ id: `i${i}`, serverName: `s${i % servers}`, pid: 100 + i }));
  const sets = (ids: string[], figures: (i: number) => Record<string, number>) =>
    new Map(
      ids.map((id, i) => {
        const set = new BucketSet(1000);
        set.add([point(5000, figures(i)), point(6000, figures(i))]);
        return [id, set] as const;
      }),
    );

  it('draws one series per instance up to the limit', () => {
    const m = members(SERIES_LIMIT, 2);
    const plots = plotHistory(
      m,
      sets(
        m.map((x) => x.id),
        (i) => ({ cpuPercent: i }),
      ),
      1000,
      0,
    );
    expect(plots.grouping).toBe('instance');
    expect(plots.series.map((s) => s.label)).toContain('s1 pid 101');
    expect(plots.t).toEqual([5000, 6000]);
    expect(plots.series[3]!.values[f('cpuPercent')]).toEqual([3, 3]);
  });

  it('combines per server beyond it: sums rates, keeps the maximum p99, averages CPU', () => {
    const m = members(10, 2);
    const plots = plotHistory(
      m,
      sets(
        m.map((x) => x.id),
        (i) => ({ requestsPerMin: 10, latencyP99Ms: i, cpuPercent: i }),
      ),
      1000,
      0,
    );
    expect(plots.grouping).toBe('server');
    const s0 = plots.series.find((s) => s.id === 'server:s0')!;
    expect(s0.instances).toBe(5);
    expect(s0.values[f('requestsPerMin')]).toEqual([50, 50]);
    expect(s0.values[f('latencyP99Ms')]).toEqual([8, 8]);
    expect(s0.values[f('cpuPercent')]).toEqual([4, 4]); // (0+2+4+6+8)/5
  });

  it('draws the cluster as one series when there are many servers, and answers from since on', () => {
    const m = members(100, 10);
    const plots = plotHistory(
      m,
      sets(
        m.map((x) => x.id),
        () => ({ wsConnections: 2 }),
      ),
      1000,
      6000,
    );
    expect(plots.grouping).toBe('cluster');
    expect(plots.series).toHaveLength(1);
    expect(plots.t).toEqual([6000]);
    expect(plots.series[0]!.values[f('wsConnections')]).toEqual([200]);
    // An instance without points in a bucket adds nothing to it.
    expect(plots.series[0]!.values[f('redisP99Ms')]).toEqual([0]);
  });
});
