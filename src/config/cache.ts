/**
 * Settings of the shared cache (src/cache/). Durations are in milliseconds. Each one is the
 * default for calls that do not pass the matching option (`ttl`, `l1Ttl`, `grace`, ...).
 */
import { loadSection, option, parse, type SectionOf } from './option.js';

export const cacheOptions = {
  ttlMs: option({
    env: 'CACHE_TTL_MS',
    default: 300_000,
    doc: 'How long an entry is fresh when a call gives no `ttl`.',
    parse: parse.integer(1),
  }),
  graceMs: option({
    env: 'CACHE_GRACE_MS',
    default: 0,
    doc: 'How long after it goes stale an entry is kept to be served when the loader or Redis fails (0: never).',
    parse: parse.integer(0),
  }),
  l1TtlMs: option({
    env: 'CACHE_L1_TTL_MS',
    default: 60_000,
    doc: 'Longest an entry is served from process memory before it is re-read from Redis (bounds staleness if an invalidation is lost).',
    parse: parse.integer(0),
  }),
  l1MaxEntries: option({
    env: 'CACHE_L1_MAX_ENTRIES',
    default: 10_000,
    doc: 'Most entries the in-process tier holds before evicting the least recently used (0 turns it off).',
    parse: parse.integer(0),
  }),
  l1MaxBytes: option({
    env: 'CACHE_L1_MAX_BYTES',
    default: 64 * 1024 * 1024,
    doc: 'Most serialized bytes the in-process tier holds before evicting the least recently used.',
    parse: parse.integer(0),
  }),
  lockTtlMs: option({
    env: 'CACHE_LOCK_TTL_MS',
    default: 5_000,
    doc: 'Lifetime of a cluster-wide loader lock (`lock: true`); the holder renews it while loading, and another instance takes over this long after the holder dies.',
    parse: parse.integer(100),
  }),
  lockWaitMs: option({
    env: 'CACHE_LOCK_WAIT_MS',
    default: 15_000,
    doc: 'Longest an instance waits for another instance’s loader before calling its own.',
    parse: parse.integer(0),
  }),
  statsFlushMs: option({
    env: 'CACHE_STATS_FLUSH_MS',
    default: 5_000,
    doc: 'How often each instance adds its counters to the cluster-wide totals in Redis.',
    parse: parse.integer(100),
  }),
  warmConcurrency: option({
    env: 'CACHE_WARM_CONCURRENCY',
    default: 8,
    doc: 'Loaders run at once by `warm()` and `plexus warm-cache` when no concurrency is given.',
    parse: parse.integer(1, 1_000),
  }),
};

export type CacheConfig = SectionOf<typeof cacheOptions>;

export function loadCacheConfig(
  env: Record<string, string | undefined> = process.env,
  explicit: Partial<CacheConfig> = {},
): CacheConfig {
  return loadSection('cache', cacheOptions, env, explicit);
}
