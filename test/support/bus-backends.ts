/**
 * Several "instances" for the coordination conformance suites (bus, jobs, instances, metrics): each
 * gets a LayerView, all sharing one backend. `memory` shares one MemoryData and one MemoryPubSub
 * between MemoryStores (several instances in one process, as the memory implementation sees them);
 * `redis`, `cluster` and `rest` (the local Upstash REST server) give each instance its own RedisLayer
 * on one key prefix.
 */
import type { RedisConfig } from '../../src/config/redis.js';
import { Keys } from '../../src/redis/keys.js';
import type { RedisLayer } from '../../src/redis/layer.js';
import { MemoryData } from '../../src/redis/memory/data.js';
import { MemoryStore } from '../../src/redis/memory/memory-store.js';
import { MemoryPubSub } from '../../src/redis/memory/pubsub.js';
import type { LayerView } from '../../src/redis/view.js';
import { connectReadyLayer, ManualLayer, sharedCluster, sharedRest } from './layers.js';
import { singleConfig, uniquePrefix } from './redis.js';

export { eventually, ManualLayer } from './layers.js';

export interface Instances {
  layers: LayerView[];
  /** Adds one more instance on the same backend. */
  add(): Promise<LayerView>;
  close(): Promise<void>;
}

export interface Backend {
  name: string;
  /** Starts shared infrastructure (a Cluster) once per file. */
  setup(): Promise<void>;
  teardown(): Promise<void>;
  instances(count: number): Promise<Instances>;
}

export function memoryBackend(): Backend {
  return {
    name: 'memory',
    async setup() {},
    async teardown() {},
    async instances(count) {
      const data = new MemoryData();
      const pubsub = new MemoryPubSub();
      const keys = new Keys(uniquePrefix());
      const layers: LayerView[] = [];
      const add = async () => {
        const layer = new ManualLayer(new MemoryStore({ data, pubsub }), keys);
        layers.push(layer);
        return layer;
      };
      for (let i = 0; i < count; i++) await add();
      return { layers, add, close: async () => data.close() };
    },
  };
}

function redisInstances(config: () => RedisConfig): (count: number) => Promise<Instances> {
  return async (count) => {
    const shared = config();
    const layers: RedisLayer[] = [];
    const add = async () => {
      const layer = await connectReadyLayer(shared);
      layers.push(layer);
      return layer;
    };
    for (let i = 0; i < count; i++) await add();
    return { layers, add, close: async () => void (await Promise.all(layers.map((l) => l.close()))) };
  };
}

export function redisBackend(): Backend {
  return {
    name: 'redis',
    async setup() {},
    async teardown() {},
    instances: redisInstances(() => singleConfig()),
  };
}

export function clusterBackend(): Backend {
  const cluster = sharedCluster();
  return {
    name: 'cluster',
    setup: cluster.setup,
    teardown: cluster.teardown,
    instances: redisInstances(cluster.config),
  };
}

export function restBackend(): Backend {
  const rest = sharedRest();
  return {
    name: 'rest',
    setup: rest.setup,
    teardown: rest.teardown,
    instances: redisInstances(rest.config),
  };
}

export const BACKENDS = [memoryBackend(), redisBackend(), clusterBackend(), restBackend()];
