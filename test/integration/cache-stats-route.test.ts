/**
 * GET /api/1/admin/cache/stats over real HTTP: admin only, this instance's and the cluster's
 * counters per namespace, on memory mode and on Redis with two servers sharing it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { errorCode, type Running, request, startServer } from './server/harness.js';

const TOKEN = 'cache-stats-admin-token-0123456789';
const auth = { headers: { authorization: `Bearer ${TOKEN}` } };
let running: Running[] = [];

afterEach(async () => {
  await Promise.all(running.map((r) => r.stop()));
  running = [];
});

async function start(env: Record<string, string> = {}): Promise<Running> {
  const server = await startServer({ env: { PLEXUS_ADMIN_TOKEN: TOKEN, ...env } });
  running.push(server);
  return server;
}

describe('GET /api/1/admin/cache/stats', () => {
  it('is for admins only, on both paths', async () => {
    const { url } = await start();
    for (const path of ['/api/1/admin/cache/stats', '/api/admin/cache/stats']) {
      const anonymous = await request(`${url}${path}`);
      expect(anonymous.status).toBe(401);
      expect(errorCode(anonymous)).toBe('UNAUTHORIZED');
      expect((await request(`${url}${path}`, auth)).status).toBe(200);
    }
    const unknown = await request(`${url}/api/1/admin/cache/stats?verbose=1`, auth);
    expect(unknown.status).toBe(400);
    errorCode(unknown);
  });

  it('shows per-namespace counters of this instance in memory mode, and no cluster totals', async () => {
    const { url, plexus } = await start();
    const qr = plexus.cache.namespace('qr');
    await qr.getOrSet('s1', () => 'png');
    await qr.getOrSet('s1', () => 'png');
    await qr.get('missing');
    const { status, body } = await request(`${url}/api/1/admin/cache/stats`, auth);
    expect(status).toBe(200);
    expect(body.cluster).toBeNull();
    expect(body.instance).toMatchObject({
      instanceId: plexus.instanceId,
      mode: 'l1-only',
      namespaces: { qr: { l1Hits: 1, misses: 2, loaderCalls: 1, l1Entries: 1, errors: 0, staleServed: 0 } },
      l1: { maxEntries: 10_000 },
    });
    // Other modules keep entries of their own (the settings' warm-up): the total is their sum.
    const instance = body.instance as {
      l1: { entries: number };
      namespaces: Record<string, { l1Entries: number }>;
    };
    const namespaces = Object.values(instance.namespaces);
    expect(instance.l1.entries).toBe(namespaces.reduce((n, ns) => n + ns.l1Entries, 0));
  });

  it('adds up every instance through Redis', async () => {
    const env = {
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: uniquePrefix('stats'),
      CACHE_STATS_FLUSH_MS: '100',
    };
    const a = await start(env);
    const b = await start(env);
    await a.plexus.cache.namespace('qr').getOrSet('s1', () => 'png');
    await b.plexus.cache.namespace('qr').getOrSet('s1', () => 'png');
    await b.plexus.cache.namespace('qr').getOrSet('s1', () => 'png');
    await b.plexus.cache.namespace('flags').get('beta');
    const { status, body } = await request(`${a.url}/api/admin/cache/stats`, auth);
    expect(status).toBe(200);
    expect(body.instance).toMatchObject({ mode: 'redis', namespaces: { qr: { misses: 1, loaderCalls: 1 } } });
    await expect
      .poll(async () => (await request(`${a.url}/api/1/admin/cache/stats`, auth)).body.cluster, {
        timeout: 5000,
      })
      .toMatchObject({
        instances: 2,
        namespaces: {
          qr: { misses: 1, loaderCalls: 1, l2Hits: 1, l1Hits: 1, l1Entries: 2 },
          flags: { misses: 1 },
        },
      });
    // Totals add up every namespace, including those of other modules (the settings' warm-up).
    const { cluster } = (await request(`${a.url}/api/1/admin/cache/stats`, auth)).body as {
      cluster: { namespaces: Record<string, Record<string, number>>; totals: Record<string, number> };
    };
    for (const counter of ['misses', 'l1Hits', 'l2Hits']) {
      const sum = Object.values(cluster.namespaces).reduce((n, ns) => n + (ns[counter] ?? 0), 0);
      expect(cluster.totals[counter]).toBe(sum);
    }
  });
});
