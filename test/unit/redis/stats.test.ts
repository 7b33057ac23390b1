/**
 * Operation statistics: totals, success rate, rejected and timed-out calls, average and p99
 * latency (from a histogram with four buckets per power of two, so p99 is exact to one bucket:
 * never under the truth, at most 25 % over), per node.
 */
import { describe, expect, it } from 'vitest';
import { Stats } from '../../../src/redis/stats.js';

/** p99 is the upper edge of its histogram bucket: within one bucket (25 %) above the truth. */
function expectWithinBucket(actual: number, expected: number): void {
  expect(actual).toBeGreaterThanOrEqual(expected);
  expect(actual).toBeLessThanOrEqual(expected * 1.25);
}

describe('Stats', () => {
  it('starts empty with a success rate of 1', () => {
    expect(new Stats().snapshot()).toEqual({
      total: 0,
      successful: 0,
      failed: 0,
      timeouts: 0,
      rejected: 0,
      successRate: 1,
      averageLatencyMs: 0,
      p99LatencyMs: 0,
    });
  });

  it('computes p99 from the slowest percent of calls', () => {
    const stats = new Stats();
    for (let i = 0; i < 990; i++) stats.success(1, 'n');
    for (let i = 0; i < 10; i++) stats.success(100, 'n');
    // The 990th of 1000 is still a 1 ms call.
    expectWithinBucket(stats.snapshot().p99LatencyMs, 1);

    stats.success(100, 'n');
    stats.success(100, 'n');
    // Now 12 of 1002 are slow: the 992nd is 100 ms.
    expectWithinBucket(stats.snapshot().p99LatencyMs, 100);
    expect(stats.snapshot().averageLatencyMs).toBeCloseTo((990 + 12 * 100) / 1002, 2);
  });

  it('counts failures, timeouts and rejections into the success rate', () => {
    const stats = new Stats();
    for (let i = 0; i < 6; i++) stats.success(0.5, 'a');
    stats.failure(250, 'a', true);
    stats.failure(3, 'b', false);
    stats.rejected();
    stats.rejected();
    expect(stats.snapshot()).toMatchObject({
      total: 10,
      successful: 6,
      failed: 4,
      timeouts: 1,
      rejected: 2,
      successRate: 0.6,
    });
  });

  it('keeps statistics per node', () => {
    const stats = new Stats();
    stats.success(2, '10.0.0.1:6379');
    stats.success(4, '10.0.0.1:6379');
    stats.failure(250, '10.0.0.2:6379', true);
    const nodes = stats.nodes();
    expect(nodes['10.0.0.1:6379']).toMatchObject({ total: 2, failed: 0, averageLatencyMs: 3 });
    expectWithinBucket(nodes['10.0.0.1:6379']!.p99LatencyMs, 4);
    expect(nodes['10.0.0.2:6379']).toMatchObject({ total: 1, failed: 1, averageLatencyMs: 250 });
  });

  it('puts every latency in a bucket whose upper edge is at most 25 % above it', () => {
    for (let ms = 0.004; ms < 3_600_000; ms *= 1.37) {
      const stats = new Stats();
      stats.success(ms, 'n');
      const p99 = stats.snapshot().p99LatencyMs;
      // Reported values are rounded to the microsecond.
      expect(p99).toBeGreaterThanOrEqual(Math.floor(ms * 1000) / 1000);
      expect(p99).toBeLessThanOrEqual(Math.max(ms * 1.25, 0.002) + 0.001);
    }
  });

  it('handles sub-microsecond and very long latencies', () => {
    const stats = new Stats();
    stats.success(0.0001, 'n');
    stats.success(10 * 60_000, 'n');
    const { p99LatencyMs, averageLatencyMs } = stats.snapshot();
    expect(Number.isFinite(p99LatencyMs)).toBe(true);
    expect(p99LatencyMs).toBeGreaterThan(1000);
    expect(averageLatencyMs).toBeCloseTo(5 * 60_000, 0);
  });
});
