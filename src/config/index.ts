/**
 * The one typed configuration object. Each module declares its section in its own file in this
 * folder (options with environment variable, default and documentation, declared once), and is
 * listed in `SECTIONS`, from which loading, validation and docs/configuration.md are derived.
 *
 * Precedence, highest first: explicit overrides (code or a JSON config file), environment
 * variables (including a .env file loaded by the CLI), defaults.
 */
import { ConfigError } from '../errors.js';
import { type CacheConfig, cacheOptions, loadCacheConfig } from './cache.js';
import { type DbConfig, type DbSettings, dbOptions, loadDbConfig } from './db.js';
import type { SectionSpec } from './option.js';
import { loadRedisConfig, type RedisConfig, type RedisSettings, redisOptions } from './redis.js';
import { loadServerConfig, type ServerConfig, serverOptions } from './server.js';
import {
  type AccountsConfig,
  accountsOptions,
  loadAccountsConfig,
  loadSessionsConfig,
  type SessionsConfig,
  sessionsOptions,
} from './sessions.js';

/** Every section, for documentation and unknown-section checks. */
export const SECTIONS: Record<string, SectionSpec> = {
  redis: redisOptions,
  cache: cacheOptions,
  server: serverOptions,
  db: dbOptions,
  sessions: sessionsOptions,
  accounts: accountsOptions,
};

export interface PlexusConfig {
  redis: RedisConfig;
  cache: CacheConfig;
  server: ServerConfig;
  db: DbConfig;
  sessions: SessionsConfig;
  accounts: AccountsConfig;
}

export interface ConfigOverrides {
  redis?: Partial<RedisSettings>;
  cache?: Partial<CacheConfig>;
  server?: Partial<ServerConfig>;
  db?: Partial<DbSettings>;
  sessions?: Partial<SessionsConfig>;
  accounts?: Partial<AccountsConfig>;
}

export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: ConfigOverrides = {},
): PlexusConfig {
  for (const section of Object.keys(overrides)) {
    if (!(section in SECTIONS)) throw new ConfigError(section, 'unknown configuration section');
  }
  return {
    redis: loadRedisConfig(env, overrides.redis),
    cache: loadCacheConfig(env, overrides.cache),
    server: loadServerConfig(env, overrides.server),
    db: loadDbConfig(env, overrides.db),
    sessions: loadSessionsConfig(env, overrides.sessions),
    accounts: loadAccountsConfig(env, overrides.accounts),
  };
}
