/** Public types of the shared cache. */

/** Milliseconds, or a string such as `'250ms'`, `'30s'`, `'5m'`, `'2h'`, `'1d'` (src/config/duration.ts). */
export type Duration = number | string;

export interface EntryOptions {
  /** How long the value is fresh. `Infinity` keeps it until deleted. @default CACHE_TTL_MS */
  ttl?: Duration;
  /**
   * Longest the value is served from this process's memory before Redis is asked again; caps how
   * stale L1 can be if an invalidation message is lost. 0 keeps it out of L1. @default CACHE_L1_TTL_MS
   */
  l1Ttl?: Duration;
  /** How long past `ttl` a stale value is kept, to be served when the loader or Redis fails. @default CACHE_GRACE_MS */
  grace?: Duration;
  /** Tags for `deleteByTag`; tags are scoped to the namespace. */
  tags?: readonly string[];
}

export interface GetOrSetOptions extends EntryOptions {
  /**
   * Call the loader once across every instance, not once per instance: a Redis lock with an owner
   * token and an expiry; the others wait for the value the holder writes and take over if it dies.
   */
  lock?: boolean;
}

export interface LoaderContext<T> {
  key: string;
  namespace: string;
  /** The stale value still within grace, if there is one. */
  stale: T | undefined;
}

/** Produces the value on a miss. Return `null` (not `undefined`) to cache "there is nothing". */
export type Loader<T> = (context: LoaderContext<T>) => T | Promise<T>;

/**
 * Turns values into bytes and back. The default stores Buffers (and other Uint8Arrays) as raw
 * bytes and everything else as strict JSON. `serialize` must throw for values it cannot represent.
 */
export interface Serializer {
  serialize(value: unknown): Buffer | string;
  deserialize(data: Buffer): unknown;
}

export interface CacheCounters {
  /** Answered from process memory. */
  l1Hits: number;
  /** Answered from Redis. */
  l2Hits: number;
  /** Neither tier had a fresh value. */
  misses: number;
  /** Callers that joined a load already in flight in this process instead of starting one. */
  coalesced: number;
  loaderCalls: number;
  loaderErrors: number;
  /** Redis calls that failed or entries that could not be decoded; the cache carried on without them. */
  l2Errors: number;
  /** Stale values served within grace because the loader or Redis failed. */
  staleServed: number;
  sets: number;
  deletes: number;
}

export interface NamespaceStats extends CacheCounters {
  /** `loaderErrors + l2Errors`. */
  errors: number;
  /** (l1Hits + l2Hits) / (l1Hits + l2Hits + misses); 0 before the first lookup. */
  hitRate: number;
  l1Entries: number;
  l1Bytes: number;
}

export interface InvalidationStats {
  published: number;
  received: number;
  /** Publish-to-applied delay of the last received messages (sender and receiver clocks). */
  lagP50Ms: number | null;
  lagP99Ms: number | null;
}

export interface InstanceCacheStats {
  instanceId: string;
  /** 'redis' when L2 is in use now, 'l1-only' in memory mode or while Redis is unavailable. */
  mode: 'redis' | 'l1-only';
  totals: NamespaceStats;
  namespaces: Record<string, NamespaceStats>;
  l1: { entries: number; bytes: number; maxEntries: number; maxBytes: number };
  invalidation: InvalidationStats;
}

export interface ClusterCacheStats {
  /** Instances that reported within the last three flush intervals. */
  instances: number;
  totals: NamespaceStats;
  namespaces: Record<string, NamespaceStats>;
}

export interface CacheStats {
  instance: InstanceCacheStats;
  /** Totals of every instance through Redis; null in memory mode or while Redis is unavailable. */
  cluster: ClusterCacheStats | null;
}

export interface WarmProgress {
  done: number;
  /** Null when the source's size is unknown. */
  total: number | null;
  /** Keys whose loader ran and whose value was stored. */
  loaded: number;
  /** Keys already cached (not reloaded unless `refresh`). */
  skipped: number;
  failed: number;
  /** Keys per second since the start. */
  rate: number;
  elapsedMs: number;
  etaMs: number | null;
}

export interface WarmReport extends WarmProgress {
  /** The first 100 failures. */
  failures: { key: string; error: string }[];
  aborted: boolean;
}

export interface WarmOptions extends EntryOptions {
  /** Loaders run at once. @default CACHE_WARM_CONCURRENCY */
  concurrency?: number;
  onProgress?: (progress: WarmProgress) => void;
  /** Least time between two `onProgress` calls (the last one always comes). @default 200 */
  progressIntervalMs?: number;
  /** Size of the source when it is not an array or a Set. */
  total?: number;
  /** Reload keys that are already cached. @default false */
  refresh?: boolean;
  signal?: AbortSignal;
}

/** A named, reusable warming job, run by `cache.warmTarget(name)` and `plexus warm-cache <name>`. */
export interface WarmTarget {
  name: string;
  description?: string;
  /** Cache namespace the values go to, e.g. `qr/students`. */
  namespace: string;
  keys(): Iterable<string> | AsyncIterable<string>;
  /** How many keys `keys()` yields, for progress; optional. */
  count?(): number | Promise<number>;
  load(key: string): unknown;
  options?: EntryOptions;
}
