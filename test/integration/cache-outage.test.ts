/**
 * Redis killed mid-traffic (this file's own redis-server, SIGKILL): no cache call throws, every
 * value comes from L1 or the loader and is right, no call waits long; after Redis returns (same
 * port, empty) the caches use L2 again by themselves.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Cache, createCache } from '../../src/cache/index.js';
import { RedisLayer } from '../../src/redis/layer.js';
import { type RedisSingleHandle, startSingle, waitFor } from '../support/topology.js';

let redis: RedisSingleHandle;
const layers: RedisLayer[] = [];
const caches: Cache[] = [];

beforeAll(async () => {
  redis = await startSingle();
  const config = redis.config({
    REDIS_COMMAND_TIMEOUT_MS: '100',
    REDIS_BREAKER_RESET_MS: '100',
    REDIS_HEALTH_INTERVAL_MS: '100',
  });
  for (let i = 0; i < 3; i++) {
    const layer = new RedisLayer(config);
    await layer.connect();
    const cache = createCache({ redis: layer, config: { statsFlushMs: 100 }, instanceId: `o${i}` });
    await cache.start();
    layers.push(layer);
    caches.push(cache);
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(caches.map((c) => c.close()));
  await Promise.all(layers.map((l) => l.close()));
  await redis?.stop();
});

const KEYS = Array.from({ length: 40 }, (_, i) => `user:${i}`);
const expected = (key: string) => ({ id: key, name: `name of ${key}` });

interface Traffic {
  calls: number;
  failures: unknown[];
  wrong: unknown[];
  slowestMs: number;
  stop(): Promise<void>;
}

/** Six workers looping over the three caches: 80% getOrSet, 10% get, 10% set, random keys. */
function traffic(): Traffic {
  let running = true;
  const t: Traffic = {
    calls: 0,
    failures: [],
    wrong: [],
    slowestMs: 0,
    stop: async () => {
      running = false;
      await workers;
    },
  };
  const worker = async (w: number) => {
    for (let i = w; running; i++) {
      const cache = caches[i % 3]!;
      const key = KEYS[Math.floor(Math.random() * KEYS.length)]!;
      const op = Math.random();
      const start = performance.now();
      try {
        if (op < 0.1) {
          await cache.set(key, expected(key));
        } else if (op < 0.2) {
          const value = await cache.get(key);
          if (value !== undefined && JSON.stringify(value) !== JSON.stringify(expected(key)))
            t.wrong.push(value);
        } else {
          const value = await cache.getOrSet(key, async () => expected(key));
          if (JSON.stringify(value) !== JSON.stringify(expected(key))) t.wrong.push(value);
        }
      } catch (error) {
        t.failures.push(error);
      }
      t.slowestMs = Math.max(t.slowestMs, performance.now() - start);
      t.calls++;
      if (i % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const workers = Promise.all(Array.from({ length: 6 }, (_, w) => worker(w)));
  return t;
}

it('keeps answering through a Redis crash and returns to L2 by itself', async () => {
  const load = traffic();
  await waitFor('traffic through L2', () => caches[0]!.localStats().totals.l2Hits > 20);

  await redis.node.kill();
  await waitFor('every layer degraded', () => layers.every((l) => l.state === 'degraded'));
  const callsAtCrash = load.calls;
  await waitFor('traffic while down', () => load.calls > callsAtCrash + 500);
  expect(caches.map((c) => c.localStats().mode)).toEqual(['l1-only', 'l1-only', 'l1-only']);
  // A key nobody has cached comes from the loader, with no error.
  expect(await caches[1]!.getOrSet('never-seen', () => 'from the source')).toBe('from the source');
  expect(await caches[1]!.get('never-seen')).toBe('from the source');
  const l2HitsWhileDown = caches.map((c) => c.localStats().totals.l2Hits);

  await redis.node.restart();
  await waitFor('every layer ready', () => layers.every((l) => l.state === 'ready'), 15_000);
  await waitFor('L2 hits again', () =>
    caches.every((c, i) => c.localStats().totals.l2Hits > l2HitsWhileDown[i]! + 5),
  );
  await load.stop();

  expect(load.failures).toEqual([]);
  expect(load.wrong).toEqual([]);
  // Calls never wait long: degraded calls fail fast, and at worst one command times out (100 ms).
  expect(load.slowestMs).toBeLessThan(1000);
  // The restarted (empty) Redis holds entries again, written by the caches.
  const store = layers[0]!.store;
  const present = await Promise.all(KEYS.map((k) => store.exists(layers[0]!.keys.cache.entry('default', k))));
  expect(present.filter(Boolean).length).toBeGreaterThan(0);
  // Invalidation works again across instances.
  await caches[0]!.set('after', 1);
  expect(await caches[1]!.get('after')).toBe(1);
  await caches[2]!.set('after', 2);
  await waitFor('invalidation after recovery', async () => (await caches[1]!.get('after')) === 2);
  // Every instance reported its statistics to the new server as soon as it was back.
  await waitFor(
    'three instances in the cluster totals',
    async () => (await caches[0]!.stats()).cluster?.instances === 3,
  );
});

it('keeps answering, without long waits, while Redis is paused (SIGSTOP)', async () => {
  const load = traffic();
  await waitFor('traffic through L2', () => layers.every((l) => l.state === 'ready') && load.calls > 200);
  redis.node.pause();
  try {
    await waitFor('every layer degraded', () => layers.every((l) => l.state === 'degraded'));
    const callsWhenDegraded = load.calls;
    await waitFor('traffic while paused', () => load.calls > callsWhenDegraded + 500);
  } finally {
    redis.node.resume();
  }
  await waitFor('every layer ready', () => layers.every((l) => l.state === 'ready'), 15_000);
  await load.stop();
  expect(load.failures).toEqual([]);
  expect(load.wrong).toEqual([]);
  // Calls that were in flight when Redis froze waited for the 100 ms command timeout, no longer.
  expect(load.slowestMs).toBeLessThan(1000);
  await caches[0]!.set('after-pause', 'x');
  expect(await caches[2]!.get('after-pause')).toBe('x');
});
