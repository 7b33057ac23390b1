/**
 * One Cluster master paused for a moment, too short for a failover: the layers stay `ready`, so
 * no return to ready and no topology event will ever replay a write that failed meanwhile. The
 * cache must replay it by itself (writes.ts, the replay retry), or every other instance keeps
 * serving the value it replaced until its copy's age limit.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Cache, createCache } from '../../src/cache/index.js';
import { Keys } from '../../src/redis/keys.js';
import { RedisLayer } from '../../src/redis/layer.js';
import { hashSlot } from '../../src/redis/topology/slot.js';
import { untilReady } from '../support/states.js';
import { waitFor } from '../support/topology.js';
import { type RedisClusterHandle, startCluster } from '../support/topology-cluster.js';

let cluster: RedisClusterHandle;
const layers: RedisLayer[] = [];
const caches: Cache[] = [];
let prefix = '';

beforeAll(async () => {
  cluster = await startCluster();
  const config = cluster.config({ REDIS_COMMAND_TIMEOUT_MS: '200' });
  prefix = config.keyPrefix;
  for (const id of ['writer', 'reader']) {
    const layer = new RedisLayer(config);
    await layer.connect();
    await untilReady(layer);
    // An hour: only an invalidation can take the reader's copy away within the test.
    const cache = createCache({ redis: layer, config: { l1TtlMs: 3_600_000 }, instanceId: id });
    await cache.start();
    layers.push(layer);
    caches.push(cache);
  }
}, 120_000);

afterAll(async () => {
  await Promise.all(caches.map((c) => c.close()));
  await Promise.all(layers.map((l) => l.close()));
  await cluster?.stop();
});

it('replays a write that failed on one paused shard while the layer stayed ready', async () => {
  const [writer, reader] = caches as [Cache, Cache];
  const keys = new Keys(prefix);
  const channelMaster = await cluster.masterOfSlot(hashSlot(keys.cache.channel()));
  // A key on another master than the invalidation channel's, so the message itself can travel.
  let key = '';
  for (let i = 0; key === ''; i++) {
    const master = await cluster.masterOfSlot(hashSlot(keys.cache.entry('default', `k${i}`)));
    if (master.address !== channelMaster.address) key = `k${i}`;
  }
  const master = await cluster.masterOfSlot(hashSlot(keys.cache.entry('default', key)));
  // The first write's invalidation reaches the reader before the reader reads (else it would
  // arrive after, and drop the copy this test is about).
  const told = new Promise<void>((resolve) => {
    const off = reader.onInvalidation(() => {
      off();
      resolve();
    });
  });
  await writer.set(key, 'old', { ttl: 3_600_000, l1Ttl: 3_600_000 });
  await told;
  expect(await reader.getOrSet(key, async () => 'loaded', { ttl: 3_600_000, l1Ttl: 3_600_000 })).toBe('old');
  // The reader now serves its own copy, without asking Redis.
  await waitFor('the reader holds a copy', () => reader.peek(key) === 'old');

  master.pause();
  try {
    // Bounded by REDIS_COMMAND_TIMEOUT_MS: the L2 write fails and is journaled.
    await writer.set(key, 'new', { ttl: 3_600_000, l1Ttl: 3_600_000 });
  } finally {
    master.resume();
  }
  // The premise: nothing left `ready` (a failover takes seconds; this pause lasted ~200 ms).
  for (const layer of layers) expect(layer.state).toBe('ready');

  // The reader drops its copy (the replayed invalidation), and L2 does not hold the old value: the
  // replay deleted it, or the paused server ran the timed-out SET when it resumed ('new').
  await waitFor('the failed write replayed', () => reader.peek(key) !== 'old', 10_000);
  const now = await reader.getOrSet(key, async () => 'loaded', { ttl: 3_600_000, l1Ttl: 3_600_000 });
  expect(['new', 'loaded']).toContain(now);
}, 60_000);
