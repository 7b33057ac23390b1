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

/** A query bound: a whole number from 1 to `max`, else METRICS_INVALID_ARGUMENT naming it. */
export function checkQueryBound(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new MetricsError(
      'METRICS_INVALID_ARGUMENT',
      `${name} must be a whole number from 1 to ${max}, got ${value}`,
    );
  }
}
