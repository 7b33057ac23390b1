/**
 * How every CLI command gets its configuration: a `.env` file (variables already set in the
 * environment win over it), an optional JSON config file with the same sections as
 * `ConfigOverrides` (`{ "redis": { "url": ... }, "server": { "port": 8080 } }`), and the command's
 * own flags, which win over both. Precedence is otherwise that of src/config/index.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { CliApps } from '../application/definition.js';
import { type ConfigOverrides, loadConfig, type PlexusConfig } from '../config/index.js';
import { ConfigError } from '../errors.js';

export interface ConfigFlags {
  config?: string;
  envFile?: string;
}

export interface CliConfig {
  overrides: ConfigOverrides;
  config: PlexusConfig;
}

const DEFAULT_ENV_FILE = '.env';

/** Adds `--config` and `--env-file` to a command. */
export function withConfigOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'JSON config file: { "redis": {...}, "server": {...}, "db": {...}, ... }')
    .option(
      '--env-file <file>',
      `file of VAR=value lines loaded into the environment (default: ${DEFAULT_ENV_FILE} when present)`,
    );
}

/**
 * Loads `.env`, the config file and `flags` (section → settings, from the command's own options),
 * and validates the result (a section may also name an application of the catalogue). Throws
 * ConfigError naming the bad setting or file.
 */
export function loadCliConfig(
  options: ConfigFlags,
  flags: ConfigOverrides = {},
  apps: CliApps = { catalogue: [] },
): CliConfig {
  loadEnvFile(options.envFile);
  const fromFile = options.config === undefined ? {} : readConfigFile(options.config);
  const overrides = mergeSections(fromFile, flags);
  const appSections = apps.catalogue.map((app) => app.name);
  return { overrides, config: loadConfig(process.env, overrides, appSections) };
}

function loadEnvFile(path: string | undefined): void {
  const file = path ?? DEFAULT_ENV_FILE;
  if (path === undefined && !existsSync(file)) return;
  try {
    process.loadEnvFile(file);
  } catch (error) {
    throw new ConfigError('--env-file', `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
}

function readConfigFile(path: string): ConfigOverrides {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError('--config', `cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError('--config', `${path} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('--config', `${path} must hold a JSON object of sections`);
  }
  for (const [section, value] of Object.entries(parsed)) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ConfigError(`${section}`, `in ${path}: a section must be an object of settings`);
    }
  }
  // Section and setting names, and every value, are validated by loadConfig.
  return parsed as ConfigOverrides;
}

function mergeSections(base: ConfigOverrides, top: ConfigOverrides): ConfigOverrides {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const source of [base, top] as Record<string, Record<string, unknown> | undefined>[]) {
    for (const [section, settings] of Object.entries(source)) {
      const defined = Object.entries(settings ?? {}).filter(([, v]) => v !== undefined);
      merged[section] = { ...merged[section], ...Object.fromEntries(defined) };
    }
  }
  return merged as ConfigOverrides;
}
