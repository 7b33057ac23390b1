/**
 * `withFallback`: how a module answers from this process when the cluster cannot be reached. The
 * shared call runs only while the layer is `ready` (or in memory mode, where the process is the
 * cluster); otherwise, or when the shared call fails because Redis is out of reach, the local call
 * answers. Failures of other kinds (an error reply, a bug) are thrown unless `when` says otherwise.
 */
import { hasCode } from '../errors.js';
import { clusterReachable, type LayerView } from './view.js';

export interface FallbackOptions {
  /** Which failures of the shared call fall back. @default redisUnreachable */
  when?: (error: unknown) => boolean;
  /** Told of every failure that fell back (for a debug log line). */
  onFallback?: (error: unknown) => void;
}

/** REDIS_UNAVAILABLE (not connected, breaker open) or REDIS_TIMEOUT: Redis could not be asked. */
export function redisUnreachable(error: unknown): boolean {
  return hasCode(error, 'REDIS_UNAVAILABLE') || hasCode(error, 'REDIS_TIMEOUT');
}

/** Any failure: for reports, where a partial answer from this process beats an error. */
export function anyFailure(): boolean {
  return true;
}

export async function withFallback<T>(
  layer: Pick<LayerView, 'state'>,
  shared: () => Promise<T>,
  local: () => T | Promise<T>,
  options: FallbackOptions = {},
): Promise<T> {
  if (!clusterReachable(layer)) return local();
  try {
    return await shared();
  } catch (error) {
    if (!(options.when ?? redisUnreachable)(error)) throw error;
    options.onFallback?.(error);
    return local();
  }
}
