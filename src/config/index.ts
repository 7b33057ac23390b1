/**
 * The one typed configuration object. Each module declares its section in its own file in this
 * folder (options with environment variable, default and documentation, declared once), and is
 * listed in `SECTIONS`, from which loading, validation and docs/configuration.md are derived.
 *
 * Precedence, highest first: explicit overrides (code or a JSON config file), environment
 * variables (including a .env file loaded by the CLI), defaults.
 */
import { ConfigError } from '../errors.js';
import type { SectionSpec } from './option.js';
import { loadRedisConfig, type RedisConfig, type RedisSettings, redisOptions } from './redis.js';

/** Every section, for documentation and unknown-section checks. */
export const SECTIONS: Record<string, SectionSpec> = {
  redis: redisOptions,
};

export interface PlexusConfig {
  redis: RedisConfig;
}

export interface ConfigOverrides {
  redis?: Partial<RedisSettings>;
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
  };
}
