/**
 * Settings of the instance registry and cluster-wide metrics (src/instances/). The report TTL must
 * cover at least two report intervals so that one late report does not make a live instance vanish.
 */
import { ConfigError } from '../errors.js';
import { duration, loadSection, option, parse, type SectionOf } from './option.js';

export const instancesOptions = {
  serverName: option({
    env: 'INSTANCE_SERVER_NAME',
    default: undefined as string | undefined,
    doc: 'Server this instance is grouped under in /api/1/metrics; defaults to the hostname.',
    parse: parse.optionalString(),
  }),
  version: option({
    env: 'INSTANCE_VERSION',
    default: undefined as string | undefined,
    doc: 'Application version shown per instance; defaults to npm_package_version (set when started through npm), else `unknown`.',
    parse: parse.optionalString(),
  }),
  reportIntervalMs: duration({
    env: 'INSTANCES_REPORT_INTERVAL_MS',
    default: 5000,
    unit: 'ms',
    min: 100,
    max: 600_000,
    doc: 'How often each instance writes its report and flushes its request counts, errors and counters.',
  }),
  ttlMs: duration({
    env: 'INSTANCES_TTL_MS',
    default: 15_000,
    unit: 'ms',
    min: 200,
    max: 3_600_000,
    doc: 'Lifetime of a report: an instance that stops reporting (killed, frozen, cut off) disappears this long after its last report.',
  }),
  errorsKept: option({
    env: 'METRICS_ERRORS_KEPT',
    default: 100,
    doc: 'How many recent errors are kept cluster-wide (and in process) for /api/1/metrics/errors/recent.',
    parse: parse.integer(1, 10_000),
  }),
  requestsRetentionMinutes: duration({
    env: 'METRICS_REQUESTS_RETENTION_MINUTES',
    default: 60,
    unit: 'm',
    min: 1,
    max: 1440,
    doc: 'How many minutes of per-minute request counts are kept for /api/1/metrics/requests.',
  }),
  maxRoutesPerMinute: option({
    env: 'METRICS_MAX_ROUTES_PER_MINUTE',
    default: 500,
    doc: 'Distinct method/route/status combinations counted per minute and instance; the rest are counted under `(other)`.',
    parse: parse.integer(10, 100_000),
  }),
};

export type InstancesConfig = SectionOf<typeof instancesOptions>;

export function loadInstancesConfig(
  env: Record<string, string | undefined> = process.env,
  explicit: Partial<InstancesConfig> = {},
): InstancesConfig {
  const config = loadSection('instances', instancesOptions, env, explicit);
  if (config.ttlMs < 2 * config.reportIntervalMs) {
    throw new ConfigError(
      'INSTANCES_TTL_MS',
      `must be at least twice INSTANCES_REPORT_INTERVAL_MS (${config.reportIntervalMs} ms), got ${config.ttlMs}`,
    );
  }
  return config;
}
