/**
 * Several "instances" for the coordination conformance suites (bus, jobs, instances): each gets a
 * LayerView, all sharing one backend. `memory` shares one MemoryData and one MemoryPubSub between
 * MemoryStores (several instances in one process, as the memory implementation sees them);
 * `redis` and `cluster` give each instance its own RedisLayer (own connections) on one key prefix.
 */
import { EventEmitter } from 'node:events';
import type { LayerView } from '../../src/bus/backend.js';
import type { RedisConfig } from '../../src/config/redis.js';
import { Keys } from '../../src/redis/keys.js';
import { type LayerState, RedisLayer, type RedisLayerEvents } from '../../src/redis/layer.js';
import { MemoryData } from '../../src/redis/memory/data.js';
import { MemoryStore } from '../../src/redis/memory/memory-store.js';
import { MemoryPubSub } from '../../src/redis/memory/pubsub.js';
import type { Store } from '../../src/redis/store.js';
import { singleConfig, uniquePrefix } from '../support/redis.js';
import { type RedisClusterHandle, startCluster } from '../support/topology.js';

/** A LayerView over any Store whose state a test sets by hand (to simulate an outage). */
export class ManualLayer extends EventEmitter<RedisLayerEvents> implements LayerView {
  #state: LayerState;

  constructor(
    readonly store: Store,
    readonly keys: Keys,
    state: LayerState = 'memory',
  ) {
    super();
    this.#state = state;
  }

  get state(): LayerState {
    return this.#state;
  }

  setState(state: LayerState, reason = ''): void {
    const previous = this.#state;
    this.#state = state;
    if (previous !== state) this.emit('state', { state, previous, reason });
  }
}

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
      const layer = new RedisLayer(shared);
      await layer.connect();
      if (layer.state !== 'ready') throw new Error(`Redis layer is ${layer.state}: ${layer.reason}`);
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
  let cluster: RedisClusterHandle | undefined;
  return {
    name: 'cluster',
    async setup() {
      cluster = await startCluster();
    },
    async teardown() {
      await cluster?.stop();
    },
    instances: redisInstances(() => {
      if (cluster === undefined) throw new Error('cluster backend not set up');
      return cluster.config();
    }),
  };
}

export const BACKENDS = [memoryBackend(), redisBackend(), clusterBackend()];

/** Resolves when `predicate` holds, polling every 10 ms; rejects after `timeoutMs`. */
export async function eventually(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await predicate())) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
