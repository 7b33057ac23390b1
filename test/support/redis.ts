/**
 * Connection settings for tests against the machine's Redis (REDIS_URL, default
 * redis://127.0.0.1:6379). Every test uses its own key prefix instead of FLUSHALL, so test files
 * can share one server.
 */
import { randomBytes } from 'node:crypto';
import { loadRedisConfig, type RedisConfig } from '../../src/config/redis.js';

export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export function uniquePrefix(name = 't'): string {
  return `${name}-${randomBytes(4).toString('hex')}`;
}

export function singleConfig(overrides: Partial<Record<string, string>> = {}): RedisConfig {
  return loadRedisConfig({
    REDIS_MODE: 'single',
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: uniquePrefix(),
    ...overrides,
  });
}
