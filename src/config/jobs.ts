/** Settings of the run-once-per-cluster scheduler (src/jobs/). */
import { duration, loadSection, option, parse, type SectionOf } from './option.js';

export const jobsOptions = {
  enabled: option({
    env: 'JOBS_ENABLED',
    default: true,
    doc: 'Whether this instance may lead and run scheduled jobs; set false on instances that must never run them.',
    parse: parse.boolean(),
  }),
  leaseMs: duration({
    env: 'JOBS_LEASE_MS',
    default: 10_000,
    unit: 'ms',
    min: 300,
    max: 600_000,
    doc: 'Leader lease per job: the leader renews it every third of this time, and a dead leader is replaced at most this long after its last renewal.',
  }),
  stopTimeoutMs: duration({
    env: 'JOBS_STOP_TIMEOUT_MS',
    default: 10_000,
    unit: 'ms',
    min: 0,
    max: 600_000,
    doc: 'How long shutdown waits for running ticks to finish before aborting their signal and leaving their leases to expire.',
  }),
};

export type JobsConfig = SectionOf<typeof jobsOptions>;

export function loadJobsConfig(
  env: Record<string, string | undefined> = process.env,
  explicit: Partial<JobsConfig> = {},
): JobsConfig {
  return loadSection('jobs', jobsOptions, env, explicit);
}
