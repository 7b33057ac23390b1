/**
 * The test topology harness: real Redis deployments started from the `redis-server` binary on
 * free ports, in temp directories, without persistence, stopped by pid (also when the test
 * process exits). Each returns its addresses, a `config()` builder that gives a ready RedisConfig
 * (a unique key prefix every call) and `stop()`.
 *
 *   const redis = await startSingle();     // one node
 *   const sentinel = await startSentinel(); // 1 master, 1 replica, 3 sentinels
 *   const cluster = await startCluster();   // 3 masters + 3 replicas
 *
 * Chaos, on any node (`RedisProcess`): `stop()` (graceful), `kill()` (SIGKILL), `pause()` /
 * `resume()` (SIGSTOP/SIGCONT), `restart()` (same port). On a deployment: `cluster.failover(master,
 * { graceful })`, `sentinel.failover({ graceful })`, and `waitHealthy()` after chaos.
 *
 * Start a Sentinel or Cluster once per test file (beforeAll): they take a few seconds.
 */
import { loadRedisConfig, type RedisConfig } from '../../src/config/redis.js';
import { uniquePrefix } from './redis.js';
import { RedisProcess } from './redis-process.js';

export { RedisProcess, sleep, waitFor } from './redis-process.js';
export { type FailoverResult, RedisClusterHandle, startCluster } from './topology-cluster.js';
export { RedisSentinelHandle, SENTINEL_MASTER, startSentinel } from './topology-sentinel.js';

export class RedisSingleHandle {
  constructor(readonly node: RedisProcess) {}

  get url(): string {
    return `redis://${this.node.address}`;
  }

  /** A single-mode RedisConfig with a unique key prefix; `env` overrides any setting. */
  config(env: Record<string, string> = {}): RedisConfig {
    return loadRedisConfig({
      REDIS_MODE: 'single',
      REDIS_URL: this.url,
      REDIS_KEY_PREFIX: uniquePrefix(),
      ...env,
    });
  }

  async stop(): Promise<void> {
    await this.node.destroy();
  }
}

/** Starts one `redis-server`; `args` are extra server arguments. */
export async function startSingle(args: string[] = []): Promise<RedisSingleHandle> {
  return new RedisSingleHandle(await RedisProcess.start({ args }));
}
