/** The shared cache: L1 in process over Redis (L2), cluster-wide invalidation, single-flight, warming. */
export {
  Cache,
  type CacheLayer,
  type CacheOptions,
  createCache,
  DEFAULT_NAMESPACE,
  type InvalidationEvent,
} from './cache.js';
export { CacheClosedError, CacheSerializationError, UnknownWarmTargetError } from './errors.js';
export type { InvalidationOp } from './invalidation.js';
export { CacheNamespace } from './namespace.js';
export type * from './types.js';
export { WarmTargetRegistry } from './warm.js';
