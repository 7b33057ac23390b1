/** Errors of the metrics module. Each code is stable. */
import { PlexusError, type PlexusErrorOptions } from '../errors.js';

export type MetricsErrorCode =
  /** A counter name is empty, too long, or uses characters outside `[A-Za-z0-9_.:/-]`. */
  | 'METRICS_INVALID_NAME'
  /** A counter delta or a query bound is not an integer in range. */
  | 'METRICS_INVALID_ARGUMENT';

export class MetricsError extends PlexusError {
  declare readonly code: MetricsErrorCode;

  constructor(code: MetricsErrorCode, message: string, options: PlexusErrorOptions = {}) {
    super(code, message, options);
  }
}
