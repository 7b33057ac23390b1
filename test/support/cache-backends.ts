/**
 * Backends for the cache conformance suite. Each creates caches that share one L2:
 *
 * - `memory`: the connection layer in memory mode; each cache is alone (L1 is the whole cache).
 * - `memory-l2`: several caches over one in-process MemoryStore (shared data and pub/sub), through
 *   a layer view whose state a test can set by hand to simulate an outage.
 * - `redis`: each cache on its own RedisLayer (own connections) to the machine's Redis, one prefix.
 * - `cluster`: the same on a 3-master Redis Cluster started for the file.
 * - `rest`: the same through the local Upstash REST server (invalidations travel by polling).
 */
import { type Cache, type CacheOptions, createCache } from '../../src/cache/index.js';
import type { CacheConfig } from '../../src/config/cache.js';
import type { RedisConfig } from '../../src/config/redis.js';
import { loadRedisConfig } from '../../src/config/redis.js';
import { Keys } from '../../src/redis/keys.js';
import { RedisLayer } from '../../src/redis/layer.js';
import { MemoryData } from '../../src/redis/memory/data.js';
import { MemoryStore } from '../../src/redis/memory/memory-store.js';
import { MemoryPubSub } from '../../src/redis/memory/pubsub.js';
import type { Store } from '../../src/redis/store.js';
import { connectReadyLayer, ManualLayer, eventually as poll, sharedCluster, sharedRest } from './layers.js';
import { singleConfig, uniquePrefix } from './redis.js';

export interface CacheGroup {
  caches: Cache[];
  /** The store under L2 (undefined for `memory`), to check what Redis holds. */
  store: Store | undefined;
  keys: Keys;
  close(): Promise<void>;
}

export interface CacheBackend {
  name: 'memory' | 'memory-l2' | 'redis' | 'cluster' | 'rest';
  /** True when several caches share L2 and the invalidation channel. */
  shared: boolean;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  group(count: number, config?: Partial<CacheConfig>): Promise<CacheGroup>;
}

async function startAll(caches: Cache[]): Promise<void> {
  await Promise.all(caches.map((cache) => cache.start()));
}

function memoryBackend(): CacheBackend {
  return {
    name: 'memory',
    shared: false,
    async setup() {},
    async teardown() {},
    async group(count, config) {
      const layers = Array.from(
        { length: count },
        () => new RedisLayer(loadRedisConfig({ REDIS_MODE: 'memory' })),
      );
      const caches = layers.map((redis, i) => createCache({ redis, config, instanceId: `m${i}` }));
      await startAll(caches);
      return {
        caches,
        store: undefined,
        keys: layers[0]!.keys,
        close: async () => {
          await Promise.all(caches.map((c) => c.close()));
          await Promise.all(layers.map((l) => l.close()));
        },
      };
    },
  };
}

function memoryL2Backend(): CacheBackend {
  return {
    name: 'memory-l2',
    shared: true,
    async setup() {},
    async teardown() {},
    async group(count, config) {
      const data = new MemoryData();
      const pubsub = new MemoryPubSub();
      const keys = new Keys(uniquePrefix('cache'));
      const store = new MemoryStore({ data, pubsub });
      const caches = Array.from({ length: count }, (_, i) => {
        const layer = new ManualLayer(new MemoryStore({ data, pubsub }), keys, 'memory');
        const options: CacheOptions = { redis: layer, l2: layer.store, config, instanceId: `l${i}` };
        return createCache(options);
      });
      await startAll(caches);
      return {
        caches,
        store,
        keys,
        close: async () => {
          await Promise.all(caches.map((c) => c.close()));
          data.close();
        },
      };
    },
  };
}

function redisGroup(configFor: () => RedisConfig) {
  return async (count: number, config?: Partial<CacheConfig>): Promise<CacheGroup> => {
    const shared = configFor();
    const layers = await Promise.all(Array.from({ length: count }, () => connectReadyLayer(shared)));
    const caches = layers.map((redis, i) => createCache({ redis, config, instanceId: `r${i}` }));
    await startAll(caches);
    return {
      caches,
      store: layers[0]!.store,
      keys: layers[0]!.keys,
      close: async () => {
        await Promise.all(caches.map((c) => c.close()));
        await Promise.all(layers.map((l) => l.close()));
      },
    };
  };
}

function redisBackend(): CacheBackend {
  return {
    name: 'redis',
    shared: true,
    async setup() {},
    async teardown() {},
    group: redisGroup(() => singleConfig()),
  };
}

function clusterBackend(): CacheBackend {
  const cluster = sharedCluster();
  return {
    name: 'cluster',
    shared: true,
    setup: cluster.setup,
    teardown: cluster.teardown,
    group: redisGroup(cluster.config),
  };
}

function restBackend(): CacheBackend {
  const rest = sharedRest();
  return {
    name: 'rest',
    shared: true,
    setup: rest.setup,
    teardown: rest.teardown,
    group: redisGroup(rest.config),
  };
}

export function cacheBackends(): CacheBackend[] {
  return [memoryBackend(), memoryL2Backend(), redisBackend(), clusterBackend(), restBackend()];
}

/** Resolves when `predicate` holds, polling every 5 ms; rejects after `timeoutMs`. */
export function eventually(predicate: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  return poll(predicate, timeoutMs, 5);
}
