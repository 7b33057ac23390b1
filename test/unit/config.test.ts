import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { loadRedisConfig } from '../../src/config/redis.js';
import { ConfigError } from '../../src/errors.js';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('redis configuration', () => {
  it('infers the mode from what is set', () => {
    expect(loadRedisConfig({}).mode).toBe('memory');
    expect(loadRedisConfig({ REDIS_URL: 'redis://h:1' }).mode).toBe('single');
    expect(loadRedisConfig({ REDIS_SENTINELS: 'a:1,b:2' }).mode).toBe('sentinel');
    expect(loadRedisConfig({ REDIS_CLUSTER_NODES: 'a:1' }).mode).toBe('cluster');
    expect(loadRedisConfig({ REDIS_MODE: 'memory', REDIS_URL: 'redis://h:1' }).mode).toBe('memory');
  });

  it('applies defaults once and parses numbers, lists and booleans', () => {
    const config = loadRedisConfig({ REDIS_SENTINELS: 'a:26379, [::1]:26380', REDIS_TLS: 'yes' });
    expect(config.commandTimeoutMs).toBe(250);
    expect(config.keyPrefix).toBe('plexus');
    expect(config.sentinels).toEqual([
      { host: 'a', port: 26379 },
      { host: '::1', port: 26380 },
    ]);
    expect(config.tls).toBe(true);
  });

  it('names the setting in every error', () => {
    expect(configError(() => loadRedisConfig({ REDIS_MODE: 'clustre' })).setting).toBe('REDIS_MODE');
    expect(configError(() => loadRedisConfig({ REDIS_URL: 'http://x' })).setting).toBe('REDIS_URL');
    expect(configError(() => loadRedisConfig({ REDIS_URL: 'not a url' })).message).toMatch(/REDIS_URL/);
    expect(configError(() => loadRedisConfig({ REDIS_MODE: 'cluster' })).setting).toBe('REDIS_CLUSTER_NODES');
    expect(
      configError(() => loadRedisConfig({ REDIS_CLUSTER_NODES: ',', REDIS_MODE: 'cluster' })).setting,
    ).toBe('REDIS_CLUSTER_NODES');
    expect(configError(() => loadRedisConfig({ REDIS_CLUSTER_NODES: 'a:x' })).setting).toBe(
      'REDIS_CLUSTER_NODES',
    );
    expect(configError(() => loadRedisConfig({ REDIS_COMMAND_TIMEOUT_MS: 'fast' })).setting).toBe(
      'REDIS_COMMAND_TIMEOUT_MS',
    );
    expect(configError(() => loadRedisConfig({ REDIS_COMMAND_TIMEOUT_MS: '-5' })).code).toBe(
      'PLEXUS_CONFIG_INVALID',
    );
  });

  it('refuses unknown sections and settings given in code', () => {
    expect(configError(() => loadConfig({}, { nope: {} } as never)).setting).toBe('nope');
    expect(configError(() => loadConfig({}, { redis: { comandTimeoutMs: 5 } as never })).setting).toBe(
      'redis.comandTimeoutMs',
    );
    expect(loadConfig({}, { redis: { commandTimeoutMs: 100 } }).redis.commandTimeoutMs).toBe(100);
  });
});
