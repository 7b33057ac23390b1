/**
 * A separate process that takes a cache's cluster lock and never finishes loading, so a test can
 * SIGKILL it mid-load. Prints `loading` once its loader runs (it holds the lock by then).
 *
 *   node --import tsx test/support/cache-lock-holder.ts <redis-url> <key-prefix> <key> <lock-ttl-ms>
 */
import { createCache } from '../../src/cache/index.js';
import { loadRedisConfig } from '../../src/config/redis.js';
import { RedisLayer } from '../../src/redis/layer.js';

const [url, prefix, key, lockTtl] = process.argv.slice(2);
const layer = new RedisLayer(
  loadRedisConfig({ REDIS_MODE: 'single', REDIS_URL: url, REDIS_KEY_PREFIX: prefix }),
);
await layer.connect();
const cache = createCache({ redis: layer, config: { lockTtlMs: Number(lockTtl) }, instanceId: 'holder' });
await cache.start();
void cache.getOrSet(
  key!,
  () => {
    process.stdout.write('loading\n');
    return new Promise<string>(() => {});
  },
  { lock: true },
);
