/**
 * Each seed's environment block, copied as the seed writes it, loads the configuration the seed
 * meant, and none of its names is reported as unknown. Seed 000 sets no variables (its Redis is
 * the local default). Blocks against real servers: test/integration/config-seeds.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { checkEnvironment } from '../../src/config/env-check.js';
import { loadConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';

/** `VAR=value` lines as a seed writes them (comments and blank lines allowed). */
function envBlock(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Z_][A-Z0-9_]*)=(\S*)/.exec(line);
    if (match) env[match[1]!] = match[2]!;
  }
  return env;
}

function refusalOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('seed 001 (QR service)', () => {
  it('local .env: a single node on localhost', () => {
    const env = envBlock(`
      # Redis Configuration
      REDIS_HOST=localhost
      REDIS_PORT=6379
      REDIS_PASSWORD=
      REDIS_DB=0`);
    expect(checkEnvironment(env)).toEqual([]);
    expect(loadConfig(env).redis).toMatchObject({
      mode: 'single',
      url: 'redis://localhost:6379',
      password: undefined,
      db: 0,
    });
  });

  it('ElastiCache .env: the endpoint and its password', () => {
    const env = envBlock(`
      REDIS_HOST=sgtu-qr-cache.xxxxx.cache.amazonaws.com
      REDIS_PORT=6379
      REDIS_PASSWORD=your-secure-password  # Set in ElastiCache`);
    expect(loadConfig(env).redis).toMatchObject({
      mode: 'single',
      url: 'redis://sgtu-qr-cache.xxxxx.cache.amazonaws.com:6379',
      password: 'your-secure-password',
    });
  });
});

describe('seed 002 (Caroud)', () => {
  it('REDIS_URL and the REDIS_HOST / REDIS_PORT that agree with it', () => {
    const env = envBlock(`
      # Redis (AWS ElastiCache Production)
      REDIS_HOST=caroud-redis.xxxxx.cache.amazonaws.com
      REDIS_PORT=6379
      REDIS_URL=redis://caroud-redis.xxxxx.cache.amazonaws.com:6379`);
    expect(checkEnvironment(env)).toEqual([]);
    expect(loadConfig(env).redis).toMatchObject({
      mode: 'single',
      url: 'redis://caroud-redis.xxxxx.cache.amazonaws.com:6379',
    });
  });
});

describe('seed 003 (Pitchey)', () => {
  const cluster = `
    REDIS_CLUSTER_ENABLED=true
    REDIS_CLUSTER_NODES=redis1.example.com:6379,redis2.example.com:6379,redis3.example.com:6379
    REDIS_CLUSTER_PASSWORD=your-cluster-password`;
  const connection = `
    REDIS_RETRY_DELAY=1000
    REDIS_CONNECT_TIMEOUT=5000
    REDIS_COMMAND_TIMEOUT=3000`;
  const failover = `
    REDIS_FAILOVER_TIMEOUT=10000
    REDIS_HEALTH_CHECK_INTERVAL=30000`;
  const cache = `
    CACHE_ENABLED=true
    CACHE_TTL=300
    REDIS_KEY_PREFIX=pitchey
    REDIS_FALLBACK_TO_SINGLE=true`;
  const fallback = `
    REDIS_HOST=localhost
    REDIS_PORT=6379
    REDIS_PASSWORD=
    REDIS_DB=0`;

  it('every block together: a password-protected Cluster with a single node to fall back to', () => {
    const env = envBlock([cluster, connection, failover, cache, fallback].join('\n'));
    expect(checkEnvironment(env)).toEqual([]);
    const config = loadConfig(env);
    expect(config.redis).toMatchObject({
      mode: 'cluster',
      clusterNodes: [
        { host: 'redis1.example.com', port: 6379 },
        { host: 'redis2.example.com', port: 6379 },
        { host: 'redis3.example.com', port: 6379 },
      ],
      clusterPassword: 'your-cluster-password',
      password: undefined,
      reconnectMaxDelayMs: 1000,
      connectTimeoutMs: 5000,
      commandTimeoutMs: 3000,
      failoverTimeoutMs: 10_000,
      healthCheckIntervalMs: 30_000,
      keyPrefix: 'pitchey',
      fallbackToSingle: true,
      url: 'redis://localhost:6379',
      db: 0,
    });
    expect(config.cache.ttlMs).toBe(300_000);
  });

  it('the settings Plexus has no use for stop startup, saying what to do instead', () => {
    for (const [line, instead] of [
      ['REDIS_CONNECTION_POOL_SIZE=5', /no pool to size; remove it/],
      ['REDIS_MAX_RETRIES=3', /never retried/],
      ['REDIS_MAX_FAILURES=3', /use REDIS_BREAKER_VOLUME .* and REDIS_BREAKER_ERROR_RATE/],
    ] as const) {
      const env = envBlock([cluster, connection, failover, line].join('\n'));
      expect(checkEnvironment(env)).toEqual([]);
      expect(refusalOf(env).message).toMatch(instead);
    }
  });

  it('scenario 1, production with Redis Cluster (without the refused pool size)', () => {
    const env = envBlock(`
      REDIS_CLUSTER_ENABLED=true
      REDIS_CLUSTER_NODES=redis-1.internal:6379,redis-2.internal:6379,redis-3.internal:6379
      REDIS_CLUSTER_PASSWORD=secure-cluster-password
      CACHE_ENABLED=true
      CACHE_TTL=600`);
    const config = loadConfig({ ...env, NODE_ENV: 'production' });
    expect(config.redis).toMatchObject({ mode: 'cluster', clusterPassword: 'secure-cluster-password' });
    expect(config.cache.ttlMs).toBe(600_000);
  });

  it('scenario 2, development with single Redis', () => {
    const env = envBlock(`
      REDIS_CLUSTER_ENABLED=false
      REDIS_HOST=localhost
      REDIS_PORT=6379
      CACHE_ENABLED=true
      CACHE_TTL=300`);
    const config = loadConfig(env);
    expect(config.redis).toMatchObject({ mode: 'single', url: 'redis://localhost:6379' });
    expect(config.cache.ttlMs).toBe(300_000);
  });

  it('scenario 4, no Redis: CACHE_ENABLED=false is refused, pointing at REDIS_MODE=memory', () => {
    const error = refusalOf(envBlock('CACHE_ENABLED=false'));
    expect(error.setting).toBe('CACHE_ENABLED');
    expect(error.message).toMatch(/REDIS_MODE=memory/);
    expect(loadConfig({ REDIS_MODE: 'memory' }).redis.mode).toBe('memory');
  });

  it('testing a local Cluster', () => {
    const env = envBlock(`
      REDIS_CLUSTER_ENABLED=true
      REDIS_CLUSTER_NODES=localhost:7001,localhost:7002,localhost:7003
      CACHE_ENABLED=true`);
    expect(loadConfig(env).redis.clusterNodes).toHaveLength(3);
  });
});

describe('seed 004 (jPulse)', () => {
  const block = `
    NODE_ENV=production
    PORT=3000
    HOSTNAME=server-1                    # Unique per server

    MONGODB_URI=mongodb://mongo1,mongo2,mongo3/myapp?replicaSet=rs0

    REDIS_HOST=redis.internal.com
    REDIS_PORT=6379
    REDIS_PASSWORD=secret                # Optional

    SESSION_SECRET=your-32-char-secret
    SESSION_TTL=86400                    # 24 hours`;

  it('refuses its placeholder secret, which is 19 characters', () => {
    const error = refusalOf(envBlock(block));
    expect(error.setting).toBe('SESSION_SECRET');
    expect(error.message).toMatch(/at least 32/);
  });

  it('with a real secret: Redis on its host with its password, sessions for 24 hours', () => {
    const env = { ...envBlock(block), SESSION_SECRET: 'a-session-secret-of-at-least-32-characters' };
    expect(checkEnvironment(env)).toEqual([]);
    const config = loadConfig(env);
    expect(config.redis).toMatchObject({
      mode: 'single',
      url: 'redis://redis.internal.com:6379',
      password: 'secret',
    });
    expect(config.sessions.ttlSeconds).toBe(86_400);
    expect(config.server).toMatchObject({ port: 3000, environment: 'production' });
  });
});
