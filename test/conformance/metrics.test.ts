/**
 * The metrics conformance suite: counters, per-minute request counts and recent errors recorded on
 * several instances, flushed, and read back summed from any instance — on the memory
 * implementation, a single Redis and a Redis Cluster.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { Metrics, type MetricsOptions } from '../../src/metrics/index.js';
import { BACKENDS, type Instances, type ManualLayer } from '../support/bus-backends.js';

describe.each(BACKENDS)('metrics on $name', (backend) => {
  let instances: Instances;

  beforeAll(() => backend.setup(), 60_000);
  afterAll(() => backend.teardown());
  afterEach(() => instances.close());

  async function start(count: number, options: Partial<MetricsOptions> = {}): Promise<Metrics[]> {
    instances = await backend.instances(count);
    return instances.layers.map(
      (layer, i) =>
        new Metrics(layer, {
          instanceId: `i${i}`,
          serverName: `web0${i}`,
          errorsKept: 5,
          requestsRetentionMinutes: 10,
          maxRoutesPerMinute: 4,
          logger: silentLogger,
          ...options,
        }),
    );
  }

  function request(m: Metrics, method: string, route: string, status: number): void {
    m.requestStarted();
    m.requestFinished({ method, route, status, durationMs: 3 });
  }

  it('sums custom counters across instances, unflushed increments included', async () => {
    const [a, b, c] = await start(3);
    a!.increment('orders.created');
    a!.increment('orders.created', 4);
    b!.increment('orders.created', 10);
    b!.increment('refunds', -2);
    await Promise.all([a!.flush(), b!.flush()]);
    c!.increment('orders.created', 100); // not flushed yet: visible on c only
    expect((await a!.counters()).counters).toEqual({ 'orders.created': 15, refunds: -2 });
    expect(await c!.counters()).toEqual({
      source: 'cluster',
      singleInstance: false,
      counters: { 'orders.created': 115, refunds: -2 },
    });
    await c!.flush();
    expect((await b!.counters()).counters['orders.created']).toBe(115);
    expect(a!.localCounters()).toEqual({ 'orders.created': 5 });
    expect(a!.stats()).toEqual({ lost: 0, pending: 0 });
  });

  it('counts requests per minute by method, route and status across instances', async () => {
    const [a, b, c] = await start(3);
    for (let i = 0; i < 3; i++) request(a!, 'GET', '/users/:id', 200);
    request(a!, 'POST', '/users', 201);
    request(b!, 'GET', '/users/:id', 200);
    request(b!, 'GET', '/users/:id', 404);
    request(b!, 'GET', '/with space', 500);
    await Promise.all([a!.flush(), b!.flush()]);
    const doc = await c!.requests(5);
    expect(doc).toMatchObject({ source: 'cluster', singleInstance: false, minutes: 5, total: 7 });
    expect(doc.byStatus).toEqual({ 200: 4, 201: 1, 404: 1, 500: 1 });
    expect(doc.routes).toEqual([
      { method: 'GET', route: '/users/:id', status: 200, count: 4 },
      { method: 'POST', route: '/users', status: 201, count: 1 },
      { method: 'GET', route: '/users/:id', status: 404, count: 1 },
      { method: 'GET', route: '/with space', status: 500, count: 1 },
    ]);
    expect(doc.perMinute).toHaveLength(5);
    expect(doc.perMinute.reduce((n, m) => n + m.total, 0)).toBe(7);
    expect(Date.parse(doc.to) - Date.parse(doc.from)).toBe(5 * 60_000);
    expect(Date.parse(doc.perMinute.at(-1)!.minute)).toBeLessThanOrEqual(Date.now());
  });

  it('bounds distinct routes per minute and instance, counting the rest under (other)', async () => {
    const [a] = await start(1);
    for (let i = 0; i < 10; i++) request(a!, 'GET', `/r${i}`, 200);
    request(a!, 'GET', '/r0', 200); // known before the bound: still counted under its route
    await a!.flush();
    const { routes } = await a!.requests(1);
    expect(routes).toContainEqual({ method: 'GET', route: '(other)', status: 200, count: 6 });
    expect(routes).toContainEqual({ method: 'GET', route: '/r0', status: 200, count: 2 });
    expect(routes).toHaveLength(5);
  });

  it('keeps the last errors cluster-wide, newest first, with their request context', async () => {
    const [a, b] = await start(2);
    for (let i = 0; i < 4; i++)
      a!.recordError(new Error(`a${i}`), { method: 'GET', url: '/x?token=secret', route: '/x' });
    await a!.flush();
    const boom = Object.assign(new TypeError('b0'), { code: 'E_BOOM' });
    b!.recordError(boom, { method: 'POST', url: '/y', requestId: 'req-1', statusCode: 500, userId: 'u1' });
    b!.recordError('b1');
    await b!.flush();
    b!.recordError(new Error('b2-unflushed'));
    const doc = await a!.recentErrors(5);
    expect(doc).toMatchObject({ source: 'cluster', singleInstance: false, count: 5 });
    // b2 is not flushed yet, so a does not see it; b does.
    expect(doc.errors.map((e) => e.message)).toEqual(['b1', 'b0', 'a3', 'a2', 'a1']);
    expect((await b!.recentErrors(2)).errors.map((e) => e.message)).toEqual(['b2-unflushed', 'b1']);
    expect(doc.errors[1]).toMatchObject({
      code: 'E_BOOM',
      statusCode: 500,
      instanceId: 'i1',
      serverName: 'web01',
      context: { method: 'POST', url: '/y', route: null, requestId: 'req-1', userId: 'u1' },
    });
    expect(doc.errors[1]!.stack).toMatch(/^TypeError: b0/);
    expect(doc.errors[2]!.context.url).toBe('/x');
    // The list is trimmed to METRICS_ERRORS_KEPT.
    const layer = instances.layers[0]!;
    expect(await layer.store.lRange(layer.keys.instances.errors(), 0, -1)).toHaveLength(5);
  });

  it('validates names and bounds', async () => {
    const [a] = await start(1);
    expect(() => a!.increment('')).toThrow(expect.objectContaining({ code: 'METRICS_INVALID_NAME' }));
    expect(() => a!.increment('has space')).toThrow(
      expect.objectContaining({ code: 'METRICS_INVALID_NAME' }),
    );
    expect(() => a!.increment('x', 1.5)).toThrow(
      expect.objectContaining({ code: 'METRICS_INVALID_ARGUMENT' }),
    );
    expect(() => a!.increment('x', Number.NaN)).toThrow(
      expect.objectContaining({ code: 'METRICS_INVALID_ARGUMENT' }),
    );
    await expect(a!.requests(0)).rejects.toMatchObject({ code: 'METRICS_INVALID_ARGUMENT' });
    await expect(a!.requests(11)).rejects.toMatchObject({ code: 'METRICS_INVALID_ARGUMENT' });
    await expect(a!.recentErrors(6)).rejects.toMatchObject({ code: 'METRICS_INVALID_ARGUMENT' });
  });

  it.runIf(backend.name === 'memory')(
    'answers locally while Redis is down and flushes what waited once it is back',
    async () => {
      const [a, b] = await start(2);
      const layerA = instances.layers[0] as ManualLayer;
      b!.increment('hits', 1);
      await b!.flush();
      layerA.setState('degraded', 'test');
      a!.increment('hits', 2);
      request(a!, 'GET', '/a', 200);
      a!.recordError(new Error('while down'));
      await a!.flush(); // nothing can be sent: kept
      expect(await a!.counters()).toEqual({ source: 'local', singleInstance: true, counters: { hits: 2 } });
      expect(await a!.requests(1)).toMatchObject({ source: 'local', singleInstance: true, total: 1 });
      expect((await a!.recentErrors(1)).errors[0]!.message).toBe('while down');
      expect((await b!.counters()).counters).toEqual({ hits: 1 });

      layerA.setState('ready');
      await a!.flush();
      expect((await b!.counters()).counters).toEqual({ hits: 3 });
      expect((await b!.requests(1)).total).toBe(1);
      expect((await b!.recentErrors(1)).errors[0]!.message).toBe('while down');
    },
  );
});
