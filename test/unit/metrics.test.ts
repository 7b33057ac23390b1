/**
 * Metrics units: what happens to a batch the Store refused or may have lost, the aggregation
 * rules, and the HTTP interval figures.
 */
import { describe, expect, it } from 'vitest';
import { RedisTimeoutError, RedisUnavailableError } from '../../src/errors.js';
import { applyRules, buildDocument } from '../../src/instances/index.js';
import type { InstanceReport } from '../../src/instances/report.js';
import { formatUptime, serverIdOf } from '../../src/instances/report.js';
import { silentLogger } from '../../src/logger.js';
import { Metrics } from '../../src/metrics/index.js';
import { RequestWindow } from '../../src/metrics/window.js';
import { Keys } from '../../src/redis/keys.js';
import { MemoryStore } from '../../src/redis/memory/memory-store.js';
import type { Store } from '../../src/redis/store.js';
import { ManualLayer } from '../support/layers.js';

/** A MemoryStore whose scripts fail with `failure` while it is set. */
function failingStore(): { store: Store; fail: (error: Error | undefined) => void } {
  const inner = new MemoryStore();
  let failure: Error | undefined;
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'runScript' && failure !== undefined) {
        const error = failure;
        return async () => {
          throw error;
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store, fail: (error) => (failure = error) };
}

function metricsOn(store: Store): Metrics {
  const layer = new ManualLayer(store, new Keys('unit'), 'ready');
  return new Metrics(layer, {
    instanceId: 'i0',
    serverName: 's',
    errorsKept: 3,
    requestsRetentionMinutes: 5,
    maxRoutesPerMinute: 10,
    logger: silentLogger,
  });
}

describe('metrics flush', () => {
  it('keeps a batch Redis refused (nothing was sent) and sends it later', async () => {
    const { store, fail } = failingStore();
    const m = metricsOn(store);
    m.increment('x', 5);
    m.recordError(new Error('e'));
    fail(new RedisUnavailableError('breaker open'));
    await m.flush();
    expect(m.stats()).toEqual({ lost: 0, pending: 2 });
    m.increment('x', 1);
    fail(undefined);
    await m.flush();
    expect(m.stats()).toEqual({ lost: 0, pending: 0 });
    expect((await m.counters()).counters).toEqual({ x: 6 });
    expect((await m.recentErrors(1)).errors[0]!.message).toBe('e');
  });

  it('drops a batch whose fate is unknown (timeout) rather than count it twice', async () => {
    const { store, fail } = failingStore();
    const m = metricsOn(store);
    m.increment('x', 5);
    fail(new RedisTimeoutError('EVALSHA', 250));
    await m.flush();
    expect(m.stats()).toEqual({ lost: 1, pending: 0 });
    fail(undefined);
    await m.flush();
    expect((await m.counters()).counters).toEqual({});
  });

  it('bounds pending errors to METRICS_ERRORS_KEPT, keeping the newest', async () => {
    const { store, fail } = failingStore();
    const m = metricsOn(store);
    fail(new RedisUnavailableError('down'));
    for (let i = 0; i < 5; i++) m.recordError(new Error(`e${i}`));
    await m.flush();
    fail(undefined);
    await m.flush();
    expect((await m.recentErrors(3)).errors.map((e) => e.message)).toEqual(['e4', 'e3', 'e2']);
  });
});

describe('aggregation rules', () => {
  const report = (over: Record<string, unknown>) => over as unknown as InstanceReport;

  it('sums, averages, takes the max and lists distinct values', () => {
    const reports = [
      report({ memory: { rss: 100 }, cpu: { percent: 10 }, eventLoop: { delayP99Ms: 5 }, version: '1' }),
      report({ memory: { rss: 50 }, cpu: { percent: 30 }, eventLoop: { delayP99Ms: 9 }, version: '2' }),
      report({ memory: { rss: 25 }, cpu: { percent: 20 }, eventLoop: { delayP99Ms: 1 }, version: '1' }),
    ];
    expect(
      applyRules(reports, {
        'memory.rss': 'sum',
        'cpu.percent': 'avg',
        'eventLoop.delayP99Ms': 'max',
        version: 'distinct',
        'missing.field': 'sum',
      }),
    ).toEqual({
      'memory.rss': 175,
      'cpu.percent': 20,
      'eventLoop.delayP99Ms': 9,
      version: ['1', '2'],
      'missing.field': 0,
    });
    expect(applyRules([], { 'cpu.percent': 'avg', x: 'max' })).toEqual({ 'cpu.percent': 0, x: 0 });
  });

  it('builds an empty document without failing', () => {
    const doc = buildDocument({ instances: [], source: 'cluster', counters: {}, now: 0 });
    expect(doc.statistics).toMatchObject({
      totalServers: 0,
      totalInstances: 0,
      lastUpdated: null,
      webSocketNamespaces: [],
    });
  });

  it('derives server ids and formats uptime', () => {
    expect(serverIdOf('web01.example.com')).toBe(1);
    expect(serverIdOf('server-12')).toBe(12);
    expect(serverIdOf('localhost')).toBeNull();
    expect(formatUptime(12_345)).toBe('3h 25m 45s');
    expect(formatUptime(59)).toBe('0m 59s');
    expect(formatUptime(90_061)).toBe('1d 1h 1m 1s');
  });
});

describe('request window', () => {
  it('gives rates, average and p99 latency for the interval, then starts over', async () => {
    const w = new RequestWindow();
    for (let i = 0; i < 99; i++) w.record(1, false);
    w.record(100, true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const f = w.take();
    expect(f.latencyAvgMs).toBeCloseTo(1.99, 1);
    // p99 is the 99th of 100 samples: 1 ms, reported as its bucket's upper edge (within 19%).
    expect(f.latencyP99Ms).toBeGreaterThanOrEqual(1);
    expect(f.latencyP99Ms).toBeLessThan(1.2);
    expect(f.requestsPerSecond).toBeGreaterThan(0);
    expect(f.errorsPerSecond).toBeGreaterThan(0);
    expect(w.take()).toMatchObject({ latencyAvgMs: 0, latencyP99Ms: 0, requestsPerSecond: 0 });
  });
});
