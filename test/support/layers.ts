/**
 * Layers for test suites. `ManualLayer` is a layer view over any Store whose state a test sets by
 * hand (to simulate an outage); `connectReadyLayer` and `sharedCluster` serve the backends of the
 * conformance suites (bus-backends.ts, cache-backends.ts); `eventually` polls a condition.
 *
 * One `RedisLayer` factory per topology, for suites that must pass on every one of them:
 *
 *   describe.each(layerTargets())('%s', (target) => {
 *     beforeAll(() => target.setup(), 60_000);
 *     afterAll(() => target.teardown());
 *     it('...', async () => { const layer = await target.layer(); ... });
 *   });
 *
 * `memory` needs no server; `single`, `sentinel`, `cluster` and `rest` (the local Upstash REST
 * server in front of its own redis-server, upstash-rest.ts) start their own deployment in setup() (so chaos such as SCRIPT FLUSH never touches a server other tests share)
 * and stop it in teardown(). Every layer gets a unique key prefix and is closed at teardown.
 */
import { EventEmitter } from 'node:events';
import { loadRedisConfig, type RedisConfig } from '../../src/config/redis.js';
import type { Keys } from '../../src/redis/keys.js';
import { type LayerState, RedisLayer, type RedisLayerEvents } from '../../src/redis/layer.js';
import type { Store } from '../../src/redis/store.js';
import type { LayerView } from '../../src/redis/view.js';
import { uniquePrefix } from './redis.js';
import type { RedisProcess } from './redis-process.js';
import { untilReady } from './states.js';
import {
  type RedisClusterHandle,
  type RedisSentinelHandle,
  type RedisSingleHandle,
  startCluster,
  startSentinel,
  startSingle,
} from './topology.js';
import { UpstashRestHandle } from './upstash-rest.js';

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

  /** Emits a `state` event when the state changes; the reason defaults to 'test' for `degraded`. */
  setState(state: LayerState, reason = state === 'degraded' ? 'test' : ''): void {
    const previous = this.#state;
    this.#state = state;
    if (previous !== state) this.emit('state', { state, previous, reason });
  }
}

/** A new RedisLayer on `config`, connected; throws unless it becomes `ready` (untilReady). */
export async function connectReadyLayer(config: RedisConfig): Promise<RedisLayer> {
  const layer = new RedisLayer(config);
  await layer.connect();
  await untilReady(layer).catch(async (error: unknown) => {
    await layer.close();
    throw error;
  });
  return layer;
}

/**
 * The local Upstash REST server, started by setup() and stopped by teardown(). Its layers get a
 * 2 s command timeout, as the Store suite gives every topology: every call crosses one more
 * process (the REST server, Node) than on TCP, and on the shared 2-core machine running suites in
 * parallel 250 ms, and once 1 s, was not enough, which turns a conformance case into a
 * degraded-mode one. The outage tests use 250 ms.
 */
export function sharedRest(): {
  setup(): Promise<void>;
  teardown(): Promise<void>;
  config(): RedisConfig;
} {
  let rest: UpstashRestHandle | undefined;
  return {
    async setup() {
      rest = await UpstashRestHandle.start();
    },
    async teardown() {
      await rest?.stop();
    },
    config() {
      if (rest === undefined) throw new Error('rest backend not set up');
      return rest.config({ REDIS_COMMAND_TIMEOUT_MS: '2000' });
    },
  };
}

/** A Redis Cluster started by setup() and stopped by teardown(), shared by a file's tests. */
export function sharedCluster(): {
  setup(): Promise<void>;
  teardown(): Promise<void>;
  config(): RedisConfig;
} {
  let cluster: RedisClusterHandle | undefined;
  return {
    async setup() {
      cluster = await startCluster();
    },
    async teardown() {
      await cluster?.stop();
    },
    config() {
      if (cluster === undefined) throw new Error('cluster backend not set up');
      return cluster.config();
    },
  };
}

/** Resolves when `predicate` holds, polling every `intervalMs`; rejects after `timeoutMs`. */
export async function eventually(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  intervalMs = 10,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await predicate())) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export type TargetName = 'memory' | 'single' | 'sentinel' | 'cluster' | 'rest';

export interface LayerTarget {
  readonly name: TargetName;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** A connected layer (state `ready`, or `memory`); `env` overrides settings. */
  layer(env?: Record<string, string>): Promise<RedisLayer>;
  /** The data nodes that currently are masters (none for memory). */
  masters(): Promise<RedisProcess[]>;
  readonly cluster?: RedisClusterHandle;
}

type Deployment = RedisSingleHandle | RedisSentinelHandle | RedisClusterHandle | UpstashRestHandle;

class Target implements LayerTarget {
  #deployment: Deployment | undefined;
  readonly #layers: RedisLayer[] = [];

  constructor(readonly name: TargetName) {}

  get cluster(): RedisClusterHandle | undefined {
    return this.name === 'cluster' ? (this.#deployment as RedisClusterHandle) : undefined;
  }

  async setup(): Promise<void> {
    if (this.name === 'single') this.#deployment = await startSingle();
    if (this.name === 'sentinel') this.#deployment = await startSentinel();
    if (this.name === 'cluster') this.#deployment = await startCluster();
    if (this.name === 'rest') this.#deployment = await UpstashRestHandle.start();
  }

  async teardown(): Promise<void> {
    await Promise.all(this.#layers.splice(0).map((layer) => layer.close()));
    await this.#deployment?.stop();
    this.#deployment = undefined;
  }

  async layer(env: Record<string, string> = {}): Promise<RedisLayer> {
    const config =
      this.#deployment === undefined
        ? loadRedisConfig({ REDIS_MODE: 'memory', REDIS_KEY_PREFIX: uniquePrefix(), ...env })
        : this.#deployment.config(env);
    const layer = new RedisLayer(config);
    this.#layers.push(layer);
    await layer.connect();
    await untilReady(layer).catch((error: unknown) => {
      throw new Error(`${this.name} layer: ${(error as Error).message}`);
    });
    return layer;
  }

  async masters(): Promise<RedisProcess[]> {
    const deployment = this.#deployment;
    if (deployment === undefined) return [];
    if (deployment instanceof UpstashRestHandle) return [deployment.redis];
    if ('node' in deployment) return [deployment.node];
    if ('sentinels' in deployment) return [await deployment.master()];
    return deployment.masters();
  }
}

/** Fresh targets for the given topologies (default: memory and the three TCP topologies). */
export function layerTargets(
  names: TargetName[] = ['memory', 'single', 'sentinel', 'cluster'],
): LayerTarget[] {
  return names.map((name) => new Target(name));
}
