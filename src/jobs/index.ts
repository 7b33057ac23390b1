export { JobsError, type JobsErrorCode } from './errors.js';
export type { CronOptions, JobHandle, JobOptions, JobStatus, JobsOptions } from './jobs.js';
export { Jobs } from './jobs.js';
export type { JobRecord } from './ledger.js';
export type { JobContext, JobFunction, RunnerStats, RunSummary, WhenRedisDown } from './runner.js';
export { parseInterval } from './schedule.js';
