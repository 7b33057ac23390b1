/**
 * Settings of the Prometheus exposition (src/prometheus/, served by the `prometheus` route group).
 *
 * Access: a scrape is admitted with METRICS_TOKEN or PLEXUS_ADMIN_TOKEN as a bearer token. With
 * neither set the exposition is open outside production, so that a local Prometheus needs no
 * secret; in production it is never open (startup fails without a token).
 */
import { ConfigError } from '../errors.js';
import { duration, loadSection, option, parse, type SectionOf } from './option.js';
import { MIN_ADMIN_TOKEN_LENGTH } from './server.js';

export const prometheusOptions = {
  path: option({
    env: 'METRICS_PATH',
    default: '/metrics',
    doc: 'Path of this instance’s Prometheus exposition; the cluster-wide one (every live instance, labelled `instance`) is at `<path>/cluster`.',
    parse: (raw, setting) => {
      const path = parse.string()(raw, setting);
      if (!/^\/[A-Za-z0-9._~/-]*$/.test(path) || path.endsWith('/')) {
        throw new ConfigError(setting, 'expected a path such as /metrics (no trailing slash, no query)');
      }
      return path;
    },
  }),
  token: option({
    env: 'METRICS_TOKEN',
    default: undefined as string | undefined,
    doc: `Bearer token Prometheus sends to read the exposition (PLEXUS_ADMIN_TOKEN is accepted too), at least ${MIN_ADMIN_TOKEN_LENGTH} characters. With neither token set the exposition is open, except with NODE_ENV=production, where startup fails.`,
    parse: (raw, setting) => {
      const token = parse.optionalString()(raw, setting);
      if (token !== undefined && token.length < MIN_ADMIN_TOKEN_LENGTH) {
        throw new ConfigError(setting, `must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters long`);
      }
      return token;
    },
  }),
  port: option({
    env: 'METRICS_PORT',
    default: undefined as number | undefined,
    doc: 'Serve the exposition on this port (from when the main server listens) instead of the main port, to keep it off the public listener; unset serves it on the main port.',
    parse: (raw, setting) =>
      raw === undefined || raw === '' ? undefined : parse.integer(0, 65535)(raw, setting),
  }),
  publishIntervalMs: duration({
    env: 'METRICS_PUBLISH_INTERVAL_MS',
    default: 15_000,
    unit: 'ms',
    min: 100,
    max: 600_000,
    doc: 'How often each instance writes its figures to Redis for `<path>/cluster` (about 50 KB each): the other instances’ figures there are at most this old. Match the Prometheus scrape interval.',
  }),
  host: option({
    env: 'METRICS_HOST',
    default: undefined as string | undefined,
    doc: 'Interface the METRICS_PORT listener binds; defaults to HOST.',
    parse: parse.optionalString(),
  }),
};

export type PrometheusConfig = SectionOf<typeof prometheusOptions>;

export function loadPrometheusConfig(
  env: Record<string, string | undefined> = process.env,
  explicit: Partial<PrometheusConfig> = {},
): PrometheusConfig {
  return loadSection('prometheus', prometheusOptions, env, explicit);
}
