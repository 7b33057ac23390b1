/** Errors of the scheduler. Each code is stable. */
import { PlexusError, type PlexusErrorOptions } from '../errors.js';

export type JobsErrorCode =
  /** A job name is empty, too long, or uses characters outside `[A-Za-z0-9_.:-]`. */
  | 'JOBS_INVALID_NAME'
  /** An interval or cron expression cannot be parsed, or is out of range. */
  | 'JOBS_INVALID_SCHEDULE'
  /** A job with this name is already scheduled in this process. */
  | 'JOBS_DUPLICATE'
  /** The run's signal was aborted: the lease was lost, or the scheduler is stopping. */
  | 'JOBS_LEASE_LOST'
  | 'JOBS_STOPPED';

export class JobsError extends PlexusError {
  declare readonly code: JobsErrorCode;

  constructor(code: JobsErrorCode, message: string, options: PlexusErrorOptions = {}) {
    super(code, message, options);
  }
}
