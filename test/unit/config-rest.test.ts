/** Selecting and validating the rest topology's settings. */
import { describe, expect, it } from 'vitest';
import { loadRedisConfig } from '../../src/config/redis.js';

const UPSTASH = { UPSTASH_REDIS_REST_URL: 'https://eu1-x.upstash.io/', UPSTASH_REDIS_REST_TOKEN: 'tok' };

describe('rest topology settings', () => {
  it('are selected by the Upstash URL and token alone, the URL without its trailing slash', () => {
    const config = loadRedisConfig(UPSTASH);
    expect(config).toMatchObject({ mode: 'rest', restUrl: 'https://eu1-x.upstash.io', restToken: 'tok' });
    expect(config.restPollMs).toBe(100);
  });

  it('lose to an explicit Sentinel or Cluster, win over REDIS_URL', () => {
    expect(loadRedisConfig({ ...UPSTASH, REDIS_CLUSTER_NODES: '127.0.0.1:7000' }).mode).toBe('cluster');
    expect(loadRedisConfig({ ...UPSTASH, REDIS_URL: 'redis://127.0.0.1:6379' }).mode).toBe('rest');
    expect(loadRedisConfig({ UPSTASH_REDIS_REST_URL: UPSTASH.UPSTASH_REDIS_REST_URL }).mode).toBe('memory');
  });

  it('REDIS_MODE=rest needs both the URL and the token, and an http(s) URL', () => {
    expect(() => loadRedisConfig({ REDIS_MODE: 'rest' })).toThrow(/UPSTASH_REDIS_REST_URL/);
    expect(() =>
      loadRedisConfig({ REDIS_MODE: 'rest', UPSTASH_REDIS_REST_URL: UPSTASH.UPSTASH_REDIS_REST_URL }),
    ).toThrow(/UPSTASH_REDIS_REST_TOKEN/);
    expect(() => loadRedisConfig({ ...UPSTASH, UPSTASH_REDIS_REST_URL: 'redis://x:6379' })).toThrow(
      /http:\/\/ or https:\/\//,
    );
  });

  it('keep the poll interval below the invalidation probe timeout', () => {
    expect(() => loadRedisConfig({ ...UPSTASH, REDIS_REST_POLL_MS: '1000' })).toThrow(/REDIS_REST_POLL_MS/);
  });
});
