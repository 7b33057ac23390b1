/**
 * How many QR images the shared cache holds and how many bytes they take in Redis, for
 * `GET /api/1/qr/stats` and `getQRCacheStats()`.
 *
 * The cache module has no per-namespace size yet, so this counts the namespace's entries with
 * SCAN (every master on Cluster), through the pattern and entry names that src/redis/keys.ts builds
 * for the cache, and measures MEMORY USAGE of a sample of them (lua/qr_memory_usage.lua); the
 * total is the sample mean times the count, exact when the sample is the whole namespace. It costs
 * one SCAN round trip per 1,000 keys: an admin call, not a hot path. Should the cache grow a
 * `usage()` per namespace, this file becomes a call to it.
 */
import type { RedisLayer } from '../../redis/layer.js';
import { defineScript } from '../../redis/script.js';

export const qrMemoryUsage = defineScript('qr_memory_usage', 1, (data, [key]) => {
  const value = data.getRaw(key!);
  // MemoryStore has no allocator to ask: the payload and the name are a lower bound.
  return value === null ? 0 : Buffer.byteLength(value) + Buffer.byteLength(key!);
});

export interface NamespaceUsage {
  /** Images cached in Redis. */
  entries: number;
  /** Bytes they take in Redis (estimated from `sampled` of them when fewer than `entries`). */
  bytes: number;
  sampled: number;
}

const SCAN_BATCH = 1000;
export const USAGE_SAMPLE = 64;

export async function namespaceUsage(redis: RedisLayer, ns: string): Promise<NamespaceUsage> {
  const entryPrefix = redis.keys.cache.entry(ns, '');
  let entries = 0;
  const sample: string[] = [];
  for await (const batch of redis.store.scan(redis.keys.cache.clearPattern(ns), SCAN_BATCH)) {
    for (const key of batch) {
      if (!key.startsWith(entryPrefix)) continue;
      entries++;
      if (sample.length < USAGE_SAMPLE) sample.push(key);
    }
  }
  const sizes = await Promise.all(sample.map((key) => redis.store.runScript(qrMemoryUsage, [key], [])));
  const measured = sizes.map(Number).filter((n) => n > 0);
  const mean = measured.length === 0 ? 0 : measured.reduce((a, b) => a + b, 0) / measured.length;
  return { entries, bytes: Math.round(mean * entries), sampled: measured.length };
}
