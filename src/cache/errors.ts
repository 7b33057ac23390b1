/**
 * Errors of the shared cache. Bad arguments (an empty key, a negative TTL, an unknown option) are
 * the shared `ValidationError` (PLEXUS_INVALID_ARGUMENT) with `details.argument` naming the
 * argument. Redis failures are never thrown by the cache: it falls back to L1 and the loader.
 * A loader's own error reaches the caller unchanged, unless a stale value within grace is served.
 */
import { PlexusError, type PlexusErrorOptions } from '../errors.js';

/** A value cannot be stored faithfully: a cycle, a BigInt, a function, `undefined`, NaN, a Map... */
export class CacheSerializationError extends PlexusError {
  constructor(message: string, options: PlexusErrorOptions = {}) {
    super('CACHE_UNSERIALIZABLE', message, options);
  }
}

/** The cache was used after `close()`. */
export class CacheClosedError extends PlexusError {
  constructor() {
    super('CACHE_CLOSED', 'The cache is closed');
  }
}

/** A warm target name that was never registered (`plexus warm-cache <name>`). */
export class UnknownWarmTargetError extends PlexusError {
  constructor(name: string, known: readonly string[]) {
    super(
      'CACHE_UNKNOWN_WARM_TARGET',
      `No warm target named ${JSON.stringify(name)}; known: ${known.join(', ') || 'none'}`,
      { details: { name, known } },
    );
  }
}
