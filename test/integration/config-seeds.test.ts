/**
 * The seeds' settings against real servers: seed 001's REDIS_HOST / REDIS_PORT make two
 * instances share state; seed 003's Cluster block with REDIS_CLUSTER_PASSWORD connects to a
 * password-protected Cluster; REDIS_FALLBACK_TO_SINGLE uses the single node when the Cluster does
 * not answer at startup.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadRedisConfig } from '../../src/config/redis.js';
import { createPlexus, type Plexus } from '../../src/index.js';
import { RedisLayer } from '../../src/redis/layer.js';
import { TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { type RedisClusterHandle, RedisProcess, startCluster } from '../support/topology.js';

const local = new URL(TEST_REDIS_URL);
const open: { close(): Promise<void> }[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});

function plexus(env: Record<string, string>): Plexus {
  const instance = createPlexus({ env: { DATABASE_URL: 'sqlite::memory:', ...env } });
  open.push(instance);
  return instance;
}

describe('seed 001: REDIS_HOST and REDIS_PORT', () => {
  it('make two instances share the cache', async () => {
    const env = {
      // Seed 001's block, with the local server's host and port.
      REDIS_HOST: local.hostname === '127.0.0.1' ? 'localhost' : local.hostname,
      REDIS_PORT: local.port || '6379',
      REDIS_PASSWORD: '',
      REDIS_DB: '0',
      REDIS_KEY_PREFIX: uniquePrefix('seed001'),
    };
    const a = plexus(env);
    const b = plexus(env);
    await Promise.all([a.start(), b.start()]);
    expect(a.redis.mode).toBe('single');
    expect(a.redis.state).toBe('ready');
    await a.cache.set('qr:image:42', { png: 'data:image/png;base64,AAAA' });
    expect(await b.cache.get('qr:image:42')).toEqual({ png: 'data:image/png;base64,AAAA' });
  });
});

describe('seed 003 with a password-protected Cluster', () => {
  const PASSWORD = 'secure-cluster-password';
  let cluster: RedisClusterHandle;

  beforeAll(async () => {
    cluster = await startCluster({ password: PASSWORD });
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  // Seed 003's "Production with Redis Cluster" block, with the test Cluster's nodes; its
  // REDIS_CONNECTION_POOL_SIZE is left out (refused: see test/unit/config-seeds.test.ts).
  const production = () => ({
    REDIS_CLUSTER_ENABLED: 'true',
    REDIS_CLUSTER_NODES: cluster.seeds,
    REDIS_CLUSTER_PASSWORD: PASSWORD,
    CACHE_ENABLED: 'true',
    CACHE_TTL: '600',
    REDIS_KEY_PREFIX: uniquePrefix('seed003'),
  });

  it('connects with REDIS_CLUSTER_PASSWORD and shares state', async () => {
    const env = production();
    const a = plexus(env);
    const b = plexus(env);
    await Promise.all([a.start(), b.start()]);
    expect(a.redis.mode).toBe('cluster');
    expect(a.redis.state).toBe('ready');
    expect(a.config.cache.ttlMs).toBe(600_000);
    await a.cache.set('pitch:1', 'shared');
    expect(await b.cache.get('pitch:1')).toBe('shared');
  }, 30_000);

  it('is refused by the Cluster without the password', async () => {
    const { REDIS_CLUSTER_PASSWORD: _, ...env } = production();
    const layer = new RedisLayer(loadRedisConfig({ ...env, REDIS_CONNECT_TIMEOUT: '500' }));
    open.push(layer);
    await layer.connect();
    expect(layer.state).toBe('degraded');
    // node-redis reports an authentication failure on every root node as their being unavailable.
    expect(layer.reason).toMatch(/cannot connect/);
  }, 30_000);

  it('keeps the Cluster when it answers, with REDIS_FALLBACK_TO_SINGLE set', async () => {
    const a = plexus({
      ...production(),
      REDIS_FALLBACK_TO_SINGLE: 'true',
      REDIS_HOST: local.hostname,
      REDIS_PORT: local.port || '6379',
    });
    await a.start();
    expect(a.redis.mode).toBe('cluster');
    expect(a.redis.state).toBe('ready');
  }, 30_000);
});

describe('REDIS_FALLBACK_TO_SINGLE', () => {
  it('uses the single node when the Cluster does not answer at startup', async () => {
    const prefix = uniquePrefix('fallback');
    // Nothing listens on port 1: the Cluster is unreachable.
    const env = {
      REDIS_CLUSTER_ENABLED: 'true',
      REDIS_CLUSTER_NODES: '127.0.0.1:1',
      REDIS_FALLBACK_TO_SINGLE: 'true',
      REDIS_FAILOVER_TIMEOUT: '2000',
      REDIS_HOST: local.hostname,
      REDIS_PORT: local.port || '6379',
      REDIS_KEY_PREFIX: prefix,
    };
    const a = plexus(env);
    const started = performance.now();
    await a.start();
    expect(performance.now() - started).toBeLessThan(5000);
    expect(a.redis.mode).toBe('single');
    expect(a.redis.state).toBe('ready');
    expect((await a.redis.health()).topology).toBe('single');
    // What it writes is on the single node, where an instance configured for it reads it.
    await a.cache.set('k', 'on the single node');
    const b = plexus({ REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix });
    await b.start();
    expect(await b.cache.get('k')).toBe('on the single node');
  }, 30_000);

  it('uses the single node when the Cluster hangs past REDIS_FAILOVER_TIMEOUT', async () => {
    // A paused server accepts the connection and never answers, like a frozen Cluster.
    const frozen = await RedisProcess.start();
    frozen.pause();
    try {
      const a = plexus({
        REDIS_CLUSTER_NODES: frozen.address,
        REDIS_FALLBACK_TO_SINGLE: 'true',
        REDIS_FAILOVER_TIMEOUT: '1s',
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: uniquePrefix('frozen'),
      });
      const started = performance.now();
      await a.start();
      expect(performance.now() - started).toBeGreaterThanOrEqual(900);
      expect(a.redis.mode).toBe('single');
      expect(a.redis.state).toBe('ready');
      await a.cache.set('k', 1);
      expect(await a.cache.get('k')).toBe(1);
    } finally {
      frozen.resume();
      await frozen.destroy();
    }
  }, 30_000);
});
