/**
 * Durations with units in every duration setting, aliases of the seeds' names, refused seed
 * names, the key prefix's trailing colon, and production's refusal of an inferred memory mode.
 * (Each seed's own environment block is loaded in config-seeds.test.ts.)
 */

import { describe, expect, it } from 'vitest';
import { loadQrConfig } from '../../src/apps/qr/config.js';
import { loadCacheConfig } from '../../src/config/cache.js';
import { loadConfig } from '../../src/config/index.js';
import { loadRedisConfig } from '../../src/config/redis.js';
import { loadSessionsConfig } from '../../src/config/sessions.js';
import { ConfigError } from '../../src/errors.js';

function refusal(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('duration settings', () => {
  it('take units, and bare numbers in the unit each setting always had', () => {
    expect(loadCacheConfig({ CACHE_TTL_MS: '10m' }).ttlMs).toBe(600_000);
    expect(loadCacheConfig({ CACHE_TTL_MS: '1500' }).ttlMs).toBe(1500);
    expect(loadSessionsConfig({ SESSION_TTL: '24h' }).ttlSeconds).toBe(86_400);
    expect(loadSessionsConfig({ SESSION_TTL: '3600' }).ttlSeconds).toBe(3600);
    expect(loadRedisConfig({ REDIS_COMMAND_TIMEOUT_MS: '1.5s' }).commandTimeoutMs).toBe(1500);
    const config = loadConfig({
      JOBS_LEASE_MS: '30s',
      INSTANCES_TTL_MS: '1m',
      METRICS_REQUESTS_RETENTION_MINUTES: '2h',
      PLEXUS_SHUTDOWN_TIMEOUT_MS: '5s',
    });
    expect(config.jobs.leaseMs).toBe(30_000);
    expect(config.instances.ttlMs).toBe(60_000);
    expect(config.instances.requestsRetentionMinutes).toBe(120);
    expect(config.server.shutdownTimeoutMs).toBe(5000);
    // An application's settings are declared the same way.
    expect(loadQrConfig({ QR_CACHE_TTL_SECONDS: '7d' }).cacheTtlSeconds).toBe(604_800);
  });

  it('accept typed numbers from code, in the setting’s unit', () => {
    expect(loadConfig({}, { cache: { ttlMs: 2000 } }).cache.ttlMs).toBe(2000);
  });

  it('refuse what is not a whole number of the unit, or out of range, naming the variable', () => {
    const fraction = refusal(() => loadSessionsConfig({ SESSION_TTL: '1500ms' }));
    expect(fraction.setting).toBe('SESSION_TTL');
    expect(fraction.message).toMatch(/whole number of seconds/);
    expect(refusal(() => loadCacheConfig({ CACHE_TTL_MS: '10 minutes' })).message).toMatch(
      /CACHE_TTL_MS: expected a number of milliseconds or a duration such as 500ms/,
    );
    expect(refusal(() => loadRedisConfig({ REDIS_COMMAND_TIMEOUT_MS: '2m' })).message).toMatch(
      /between 10 and 60000 milliseconds, got 120000/,
    );
  });
});

describe('aliases of the seeds’ names', () => {
  it('REDIS_HOST and REDIS_PORT make the single-node URL when REDIS_URL is not set', () => {
    expect(loadRedisConfig({ REDIS_HOST: 'cache.internal', REDIS_PORT: '6380' })).toMatchObject({
      mode: 'single',
      url: 'redis://cache.internal:6380',
    });
    expect(loadRedisConfig({ REDIS_HOST: 'h' }).url).toBe('redis://h:6379');
    expect(loadRedisConfig({ REDIS_PORT: '6390' }).url).toBe('redis://localhost:6390');
    expect(loadRedisConfig({ REDIS_HOST: '::1' }).url).toBe('redis://[::1]:6379');
    expect(loadRedisConfig({ REDIS_URL: 'redis://u:1', REDIS_HOST: 'h' }).url).toBe('redis://u:1');
    expect(refusal(() => loadRedisConfig({ REDIS_HOST: 'h', REDIS_PORT: 'x' })).setting).toBe(
      'REDIS_HOST, REDIS_PORT',
    );
  });

  it('reads seed 003’s names, in seed 003’s units', () => {
    const config = loadConfig({
      REDIS_CLUSTER_ENABLED: 'true',
      REDIS_CLUSTER_NODES: 'a:7001,b:7002',
      REDIS_COMMAND_TIMEOUT: '3000',
      REDIS_CONNECT_TIMEOUT: '5000',
      REDIS_RETRY_DELAY: '1000',
      REDIS_HEALTH_CHECK_INTERVAL: '30000',
      REDIS_FAILOVER_TIMEOUT: '10000',
      CACHE_ENABLED: 'true',
      CACHE_TTL: '600',
    });
    expect(config.redis).toMatchObject({
      mode: 'cluster',
      commandTimeoutMs: 3000,
      connectTimeoutMs: 5000,
      reconnectMaxDelayMs: 1000,
      healthCheckIntervalMs: 30_000,
      failoverTimeoutMs: 10_000,
    });
    expect(config.cache.ttlMs).toBe(600_000);
    expect(loadCacheConfig({ CACHE_TTL: '10m' }).ttlMs).toBe(600_000);
  });

  it('lets a setting’s own variable win over its alias', () => {
    expect(loadCacheConfig({ CACHE_TTL_MS: '1000', CACHE_TTL: '600' }).ttlMs).toBe(1000);
    expect(
      loadRedisConfig({ REDIS_COMMAND_TIMEOUT_MS: '100', REDIS_COMMAND_TIMEOUT: '3000' }).commandTimeoutMs,
    ).toBe(100);
  });

  it('REDIS_CLUSTER_ENABLED=false leaves the mode inferred, and refuses cluster nodes', () => {
    expect(loadRedisConfig({ REDIS_CLUSTER_ENABLED: 'false', REDIS_HOST: 'h' }).mode).toBe('single');
    expect(loadRedisConfig({ REDIS_CLUSTER_ENABLED: 'false' }).mode).toBe('memory');
    expect(
      refusal(() => loadRedisConfig({ REDIS_CLUSTER_ENABLED: 'false', REDIS_CLUSTER_NODES: 'a:1' })).setting,
    ).toBe('REDIS_CLUSTER_ENABLED');
    expect(refusal(() => loadRedisConfig({ REDIS_CLUSTER_ENABLED: 'maybe' })).setting).toBe(
      'REDIS_CLUSTER_ENABLED',
    );
  });

  it('takes a Cluster password of its own and a fallback single node', () => {
    const config = loadRedisConfig({
      REDIS_CLUSTER_NODES: 'a:1',
      REDIS_CLUSTER_PASSWORD: 'cluster-secret',
      REDIS_FALLBACK_TO_SINGLE: 'true',
      REDIS_HOST: 'single',
      REDIS_PASSWORD: '',
      REDIS_DB: '0',
    });
    expect(config).toMatchObject({
      mode: 'cluster',
      clusterPassword: 'cluster-secret',
      fallbackToSingle: true,
      url: 'redis://single:6379',
    });
    expect(config.password).toBeUndefined();
    expect(
      refusal(() => loadRedisConfig({ REDIS_CLUSTER_NODES: 'a:1', REDIS_FALLBACK_TO_SINGLE: 'true' }))
        .setting,
    ).toBe('REDIS_FALLBACK_TO_SINGLE');
    expect(
      refusal(() => loadRedisConfig({ REDIS_SENTINELS: 'a:1', REDIS_FALLBACK_TO_SINGLE: 'true' })).message,
    ).toMatch(/cluster mode only/);
    expect(loadRedisConfig({ REDIS_HOST: 'h', REDIS_FALLBACK_TO_SINGLE: 'true' }).mode).toBe('single');
  });
});

describe('seed names without a Plexus meaning', () => {
  it('stop startup saying what to use instead', () => {
    for (const [name, instead] of [
      ['REDIS_CONNECTION_POOL_SIZE', /no pool to size/],
      ['REDIS_MAX_RETRIES', /never retried/],
      ['REDIS_MAX_FAILURES', /REDIS_BREAKER_VOLUME/],
    ] as const) {
      const error = refusal(() => loadConfig({ [name]: '3' }));
      expect(error.setting).toBe(name);
      expect(error.message).toMatch(instead);
    }
  });

  it('accept CACHE_ENABLED=true, and refuse false with REDIS_MODE=memory as the way without Redis', () => {
    expect(() => loadConfig({ CACHE_ENABLED: 'true' })).not.toThrow();
    const error = refusal(() => loadConfig({ CACHE_ENABLED: 'false' }));
    expect(error.setting).toBe('CACHE_ENABLED');
    expect(error.message).toMatch(/REDIS_MODE=memory/);
  });
});

describe('the key prefix', () => {
  it('drops a trailing colon, which Plexus adds itself', () => {
    expect(loadRedisConfig({ REDIS_KEY_PREFIX: 'app:' }).keyPrefix).toBe('app');
    expect(loadRedisConfig({ REDIS_KEY_PREFIX: 'pitchey' }).keyPrefix).toBe('pitchey');
    expect(refusal(() => loadRedisConfig({ REDIS_KEY_PREFIX: 'a:b' })).setting).toBe('REDIS_KEY_PREFIX');
  });
});

describe('production without Redis', () => {
  it('refuses an inferred memory mode, and accepts REDIS_MODE=memory', () => {
    const error = refusal(() => loadConfig({ NODE_ENV: 'production' }));
    expect(error.setting).toBe('REDIS_MODE');
    expect(error.message).toMatch(/REDIS_MODE=memory/);
    expect(loadConfig({ NODE_ENV: 'production', REDIS_MODE: 'memory' }).redis.mode).toBe('memory');
    expect(loadConfig({ NODE_ENV: 'production' }, { redis: { mode: 'memory' } }).redis.mode).toBe('memory');
    expect(loadConfig({ NODE_ENV: 'production', REDIS_HOST: 'h' }).redis.mode).toBe('single');
    expect(loadConfig({ NODE_ENV: 'development' }).redis.mode).toBe('memory');
  });
});
