/**
 * `Cache.awaitInvalidations` (the invalidation channel's barrier) on a single node and a Cluster:
 * when it resolves, every other instance has applied what was published before it, so a read
 * there no longer finds the copy a write replaced; a subscriber that never answers costs the
 * timeout and is reported, not waited for forever.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cache, createCache } from '../../src/cache/index.js';
import type { RedisLayer } from '../../src/redis/layer.js';
import { type LayerTarget, layerTargets } from '../support/layers.js';

describe.each(layerTargets(['single', 'cluster']))('barrier on $name', (target: LayerTarget) => {
  const caches: Cache[] = [];
  let extra: RedisLayer;

  beforeAll(async () => {
    await target.setup();
    const first = await target.layer();
    const prefix = first.keys.prefix;
    for (const [i, layer] of [first, await target.layer({ REDIS_KEY_PREFIX: prefix })].entries()) {
      const cache = createCache({ redis: layer, instanceId: `i${i}` });
      await cache.start();
      caches.push(cache);
    }
    extra = await target.layer({ REDIS_KEY_PREFIX: prefix });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(caches.map((c) => c.close()));
    await target.teardown();
  });

  it('resolves once the other instance has dropped the replaced copy', async () => {
    const [writer, reader] = caches as [Cache, Cache];
    for (let i = 0; i < 50; i++) {
      expect(await reader.getOrSet('k', async () => 'loaded')).toBe(i === 0 ? 'loaded' : i - 1);
      expect(reader.peek('k')).toBe(i === 0 ? 'loaded' : i - 1);
      await writer.set('k', i);
      expect(await writer.awaitInvalidations(5000)).toEqual({ receivers: 2, answered: 2 });
      // No await between: the reader has applied the invalidation already.
      expect(reader.peek('k')).toBeUndefined();
    }
  });

  it('reports a subscriber that does not answer, after the timeout', async () => {
    const [writer] = caches as [Cache, Cache];
    // Something else listening on the channel that is not a cache: it never answers a barrier.
    const off = await extra.store.subscribe(extra.keys.cache.channel(), () => {});
    try {
      const started = performance.now();
      expect(await writer.awaitInvalidations(300)).toEqual({ receivers: 3, answered: 2 });
      expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    } finally {
      await off();
    }
  });
});
