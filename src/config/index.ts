/**
 * The one typed configuration object. Each module declares its section in its own file in this
 * folder (options with environment variable, default and documentation, declared once), and is
 * listed in `SECTIONS`, from which loading, validation and docs/configuration.md are derived.
 *
 * Precedence, highest first: explicit overrides (code or a JSON config file), environment
 * variables (including a .env file loaded by the CLI), defaults.
 */
import { ConfigError } from '../errors.js';
import { type BusConfig, busOptions, loadBusConfig } from './bus.js';
import { type CacheConfig, cacheOptions, cacheRefused, loadCacheConfig } from './cache.js';
import { type DashboardConfig, dashboardOptions, loadDashboardConfig } from './dashboard.js';
import { type DbConfig, type DbSettings, dbOptions, loadDbConfig } from './db.js';
import { type InstancesConfig, instancesOptions, loadInstancesConfig } from './instances.js';
import { type JobsConfig, jobsOptions, loadJobsConfig } from './jobs.js';
import type { RefusedSetting, SectionSpec } from './option.js';
import { loadPrometheusConfig, type PrometheusConfig, prometheusOptions } from './prometheus.js';
import { loadRealtimeConfig, type RealtimeConfig, realtimeOptions } from './realtime.js';
import {
  loadRedisConfig,
  type RedisConfig,
  type RedisSettings,
  redisOptions,
  redisRefused,
} from './redis.js';
import { loadServerConfig, type ServerConfig, serverOptions } from './server.js';
import {
  type AccountsConfig,
  accountsOptions,
  loadAccountsConfig,
  loadSessionsConfig,
  type SessionsConfig,
  sessionsOptions,
} from './sessions.js';
import { loadSettingsConfig, type SettingsConfig, settingsOptions } from './settings.js';

/** Every core section, for documentation and unknown-section checks (applications declare their own). */
export const SECTIONS: Record<string, SectionSpec> = {
  redis: redisOptions,
  cache: cacheOptions,
  server: serverOptions,
  db: dbOptions,
  bus: busOptions,
  jobs: jobsOptions,
  instances: instancesOptions,
  sessions: sessionsOptions,
  accounts: accountsOptions,
  prometheus: prometheusOptions,
  realtime: realtimeOptions,
  settings: settingsOptions,
  dashboard: dashboardOptions,
};

/** Names from the seeds that Plexus refuses at startup, saying what to use instead. */
export const REFUSED: readonly RefusedSetting[] = [...redisRefused, ...cacheRefused];

export interface PlexusConfig {
  redis: RedisConfig;
  cache: CacheConfig;
  server: ServerConfig;
  db: DbConfig;
  bus: BusConfig;
  jobs: JobsConfig;
  instances: InstancesConfig;
  sessions: SessionsConfig;
  accounts: AccountsConfig;
  prometheus: PrometheusConfig;
  realtime: RealtimeConfig;
  settings: SettingsConfig;
  dashboard: DashboardConfig;
}

export interface ConfigOverrides {
  redis?: Partial<RedisSettings>;
  cache?: Partial<CacheConfig>;
  server?: Partial<ServerConfig>;
  db?: Partial<DbSettings>;
  bus?: Partial<BusConfig>;
  jobs?: Partial<JobsConfig>;
  instances?: Partial<InstancesConfig>;
  sessions?: Partial<SessionsConfig>;
  accounts?: Partial<AccountsConfig>;
  prometheus?: Partial<PrometheusConfig>;
  realtime?: Partial<RealtimeConfig>;
  settings?: Partial<SettingsConfig>;
  dashboard?: Partial<DashboardConfig>;
  /** An installed application's section, by its name (src/application/); checked when it is installed. */
  [app: string]: object | undefined;
}

/**
 * The core's settings. `appSections` names the sections of the applications being installed: their
 * overrides are accepted here and loaded by the installer (src/application/install.ts).
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: ConfigOverrides = {},
  appSections: readonly string[] = [],
): PlexusConfig {
  for (const section of Object.keys(overrides)) {
    if (!(section in SECTIONS) && !appSections.includes(section)) {
      throw new ConfigError(section, 'unknown configuration section');
    }
  }
  const server = loadServerConfig(env, overrides.server);
  return {
    redis: loadRedisConfig(env, overrides.redis, server.environment),
    cache: loadCacheConfig(env, overrides.cache),
    server,
    db: loadDbConfig(env, overrides.db),
    bus: loadBusConfig(env, overrides.bus),
    jobs: loadJobsConfig(env, overrides.jobs),
    instances: loadInstancesConfig(env, overrides.instances),
    sessions: loadSessionsConfig(env, overrides.sessions),
    accounts: loadAccountsConfig(env, overrides.accounts),
    prometheus: loadPrometheusConfig(env, overrides.prometheus),
    realtime: loadRealtimeConfig(env, overrides.realtime),
    settings: loadSettingsConfig(env, overrides.settings),
    dashboard: loadDashboardConfig(env, overrides.dashboard),
  };
}
