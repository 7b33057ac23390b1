/**
 * The reference server with every module on the rest topology (selected by the Upstash variables
 * alone): it starts, reports `type: "upstash-rest"` with the endpoint and its latency on
 * /api/1/health/cache, and two instances share state through it (a bus message and a cache
 * invalidation travel by polling).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { uniquePrefix } from '../support/redis.js';
import { untilReady } from '../support/states.js';
import { waitFor } from '../support/topology.js';
import { startUpstashRest, type UpstashRestHandle } from '../support/upstash-rest.js';
import { type Running, request, startServer } from './server/harness.js';

let rest: UpstashRestHandle;
const running: Running[] = [];

beforeAll(async () => {
  rest = await startUpstashRest();
}, 30_000);

afterAll(async () => {
  await Promise.all(running.map((r) => r.stop()));
  await rest?.stop();
});

it('serves with every module on the rest topology and reports it on /api/1/health/cache', async () => {
  const env = {
    UPSTASH_REDIS_REST_URL: rest.url,
    UPSTASH_REDIS_REST_TOKEN: rest.token,
    REDIS_KEY_PREFIX: uniquePrefix('rest'),
  };
  const a = await startServer({ env });
  running.push(a);
  const b = await startServer({ env });
  running.push(b);
  expect(a.plexus.redis.mode).toBe('rest');
  // An instance whose first call to the endpoint misses REDIS_CONNECT_TIMEOUT_MS (a loaded
  // machine) starts degraded by design and turns ready by itself: that is what is reported here.
  await Promise.all([untilReady(a.plexus.redis), untilReady(b.plexus.redis)]);

  const cache = await request(`${a.url}/api/1/health/cache`);
  expect(cache.status).toBe(200);
  expect(cache.body).toMatchObject({
    type: 'upstash-rest',
    distributed: true,
    status: 'healthy',
    nodes: [{ address: `127.0.0.1:${rest.port}`, role: 'master', healthy: true, error: null }],
  });
  const [node] = cache.body.nodes as { latencyMs: number }[];
  expect(node!.latencyMs).toBeGreaterThan(0);
  const health = await request(`${a.url}/api/1/health`);
  expect(health.body.status).toBe('ok');

  // Shared state across the two instances.
  const received: unknown[] = [];
  await b.plexus.bus.subscribe('test:rest:ping', (data) => {
    received.push(data);
  });
  await waitFor('a bus message through polling', async () => {
    await a.plexus.bus.publish('test:rest:ping', { n: 1 });
    return received.length > 0;
  });
  expect(received[0]).toEqual({ n: 1 });
  await a.plexus.cache.set('shared', 1);
  expect(await b.plexus.cache.get('shared')).toBe(1);
  await a.plexus.cache.set('shared', 2);
  await waitFor('the invalidation through polling', async () => (await b.plexus.cache.get('shared')) === 2);
});
