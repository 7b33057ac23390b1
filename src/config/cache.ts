/**
 * Settings of the shared cache (src/cache/). Durations are in milliseconds (or carry a unit:
 * `CACHE_TTL_MS=10m`). Each one is the default for calls that do not pass the matching option
 * (`ttl`, `l1Ttl`, `grace`, ...).
 */
import {
  checkRefused,
  duration,
  durationIn,
  loadSection,
  option,
  parse,
  type RefusedSetting,
  type SectionOf,
} from './option.js';

export const cacheOptions = {
  ttlMs: duration({
    env: 'CACHE_TTL_MS',
    default: 300_000,
    unit: 'ms',
    min: 1,
    doc: 'How long an entry is fresh when a call gives no `ttl`.',
    aliases: [durationIn('CACHE_TTL', 's', 'seed 003')],
  }),
  graceMs: duration({
    env: 'CACHE_GRACE_MS',
    default: 0,
    unit: 'ms',
    min: 0,
    doc: 'How long after it goes stale an entry is kept to be served when the loader or Redis fails (0: never).',
  }),
  l1TtlMs: duration({
    env: 'CACHE_L1_TTL_MS',
    default: 60_000,
    unit: 'ms',
    min: 0,
    doc: 'Longest an entry is served from process memory before it is re-read from Redis (bounds staleness if an invalidation is lost).',
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
  lockTtlMs: duration({
    env: 'CACHE_LOCK_TTL_MS',
    default: 5_000,
    unit: 'ms',
    min: 100,
    doc: 'Lifetime of a cluster-wide loader lock (`lock: true`); the holder renews it while loading, and another instance takes over this long after the holder dies.',
  }),
  lockWaitMs: duration({
    env: 'CACHE_LOCK_WAIT_MS',
    default: 15_000,
    unit: 'ms',
    min: 0,
    doc: 'Longest an instance waits for another instance’s loader before calling its own.',
  }),
  statsFlushMs: duration({
    env: 'CACHE_STATS_FLUSH_MS',
    default: 5_000,
    unit: 'ms',
    min: 100,
    doc: 'How often each instance adds its counters to the cluster-wide totals in Redis.',
  }),
  warmConcurrency: option({
    env: 'CACHE_WARM_CONCURRENCY',
    default: 8,
    doc: 'Loaders run at once by `warm()` and `plexus warm-cache` when no concurrency is given.',
    parse: parse.integer(1, 1_000),
  }),
};

export type CacheConfig = SectionOf<typeof cacheOptions>;

/** Seed 003 could turn its cache off; the Plexus cache is always on (in process without Redis). */
export const cacheRefused: readonly RefusedSetting[] = [
  {
    env: 'CACHE_ENABLED',
    instead:
      'the cache cannot be turned off (callers that must not cache call their loader directly); to run without Redis set REDIS_MODE=memory. CACHE_ENABLED=true is accepted',
    accepts: (raw) => parse.boolean()(raw, 'CACHE_ENABLED'),
  },
];

export function loadCacheConfig(
  env: Record<string, string | undefined> = process.env,
  explicit: Partial<CacheConfig> = {},
): CacheConfig {
  checkRefused(cacheRefused, env);
  return loadSection('cache', cacheOptions, env, explicit);
}
