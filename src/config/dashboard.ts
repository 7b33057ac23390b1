/** Settings of the admin dashboard (src/dashboard/): how much per-instance history it keeps and shows. */
import { ConfigError } from '../errors.js';
import { duration, loadSection, type SectionOf } from './option.js';

export const dashboardOptions = {
  historyWindowMs: duration({
    env: 'DASHBOARD_HISTORY_WINDOW',
    default: 3_600_000,
    unit: 'ms',
    min: 60_000,
    max: 86_400_000,
    doc: 'How far back each instance keeps its history for the dashboard plots (`<prefix>:health:history:<id>` expires after it too).',
  }),
  historyStepMs: duration({
    env: 'DASHBOARD_HISTORY_STEP_MS',
    default: 5000,
    unit: 'ms',
    min: 500,
    max: 600_000,
    doc: 'Time between two points of an instance history; the window divided by this bounds the points kept per instance.',
  }),
  deadShownMs: duration({
    env: 'DASHBOARD_DEAD_SHOWN',
    default: 600_000,
    unit: 'ms',
    min: 0,
    max: 86_400_000,
    doc: 'How long an instance that stopped reporting without a graceful shutdown stays on the dashboard, marked dead.',
  }),
};

export type DashboardConfig = SectionOf<typeof dashboardOptions>;

/** At most this many points per instance, whatever the window and step. */
export const MAX_HISTORY_POINTS = 7200;

export function loadDashboardConfig(
  env: Record<string, string | undefined> = process.env,
  explicit: Partial<DashboardConfig> = {},
): DashboardConfig {
  const config = loadSection('dashboard', dashboardOptions, env, explicit);
  if (config.historyWindowMs / config.historyStepMs > MAX_HISTORY_POINTS) {
    throw new ConfigError(
      'DASHBOARD_HISTORY_STEP_MS',
      `keeps more than ${MAX_HISTORY_POINTS} points per instance over DASHBOARD_HISTORY_WINDOW; raise the step`,
    );
  }
  return config;
}
