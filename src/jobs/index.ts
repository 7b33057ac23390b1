export { JobsError, type JobsErrorCode } from './errors.js';
export type { CronOptions, JobHandle, JobOptions, JobStatus, JobsOptions } from './jobs.js';
export { Jobs } from './jobs.js';
export type { JobRecord } from './ledger.js';
export {
  JOB_IDLE,
  type JobContext,
  type JobFunction,
  type RunnerStats,
  type RunSummary,
  type WhenRedisDown,
} from './runner.js';
export { parseInterval } from './schedule.js';
