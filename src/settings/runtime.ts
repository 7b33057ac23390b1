/**
 * Plexus's own settings that make sense to change while it runs, kept in `plexus.settings`
 * (collection `plexus`) with the process configuration (environment) as the default: an admin
 * changes one on any instance (`PUT /api/1/admin/config/plexus/<key>`, `plexus config set`) and
 * every instance uses it from its next read, without a restart; deleting it goes back to the
 * environment's value. Only the keys below may be written there, each a whole number in its range
 * (SETTINGS_INVALID otherwise, nothing stored).
 *
 * Reads come from this process's memory (`peek`, no I/O) once a key has been read, and through the
 * tiers otherwise; a value that cannot be read (database down and never read) or that is not
 * valid (written to the database behind Plexus's back) answers the default.
 */
import type { PlexusConfig as Config } from '../config/index.js';
import { type Logger, silentLogger } from '../logger.js';
import type { Settings } from './settings.js';
import type { JsonValue } from './types.js';

export const RUNTIME_COLLECTION = 'plexus';

export interface RuntimeOption {
  /** The key under the `plexus` collection. */
  key: string;
  /** The environment variable whose value is the default. */
  env: string;
  min: number;
  max: number;
  /** The process configuration's value (the default). */
  fromConfig(config: Config): number;
  doc: string;
}

/** The runtime settings, by key. */
export const RUNTIME_OPTIONS = {
  'login.perAccount': {
    key: 'login.perAccount',
    env: 'LOGIN_LIMIT_PER_ACCOUNT',
    min: 1,
    max: 1_000_000,
    fromConfig: (config) => config.sessions.loginAccountLimit,
    doc: 'Login attempts allowed per account name in one window, across the cluster.',
  },
  'login.perAddress': {
    key: 'login.perAddress',
    env: 'LOGIN_LIMIT_PER_IP',
    min: 1,
    max: 1_000_000,
    fromConfig: (config) => config.sessions.loginIpLimit,
    doc: 'Login attempts allowed per client address (IPv6: per /64) in one window.',
  },
  'login.windowSeconds': {
    key: 'login.windowSeconds',
    env: 'LOGIN_LIMIT_WINDOW',
    min: 1,
    max: 86_400,
    fromConfig: (config) => config.sessions.loginWindowSeconds,
    doc: 'Length of the login rate-limit window in seconds (a window already started keeps its length).',
  },
} as const satisfies Record<string, RuntimeOption>;

export type RuntimeKey = keyof typeof RUNTIME_OPTIONS;

export class RuntimeSettings {
  readonly #settings: Settings;
  readonly #defaults: Record<RuntimeKey, number>;
  readonly #logger: Logger;

  constructor(settings: Settings, config: Config, logger: Logger = silentLogger) {
    this.#settings = settings;
    this.#logger = logger;
    this.#defaults = Object.fromEntries(
      Object.values(RUNTIME_OPTIONS).map((option) => [option.key, option.fromConfig(config)]),
    ) as Record<RuntimeKey, number>;
    settings.constrain(RUNTIME_COLLECTION, (key, value) => problemWith(key, value));
  }

  /** The environment's value of a key (used while none is stored). */
  default(key: RuntimeKey): number {
    return this.#defaults[key];
  }

  /** The value in force: the stored one, or the environment's. */
  async number(key: RuntimeKey): Promise<number> {
    let entry = this.#settings.peek(RUNTIME_COLLECTION, key);
    if (entry === undefined) {
      entry = await this.#settings.get(RUNTIME_COLLECTION, key).catch((error: unknown) => {
        this.#logger.warn({ err: error, key }, 'runtime setting unreadable; using the environment value');
        return null;
      });
    }
    if (entry === null) return this.#defaults[key];
    if (problemWith(key, entry.value) !== null) {
      this.#logger.warn({ key, value: entry.value }, 'runtime setting invalid; using the environment value');
      return this.#defaults[key];
    }
    return entry.value as number;
  }
}

function problemWith(key: string, value: JsonValue): string | null {
  if (!Object.hasOwn(RUNTIME_OPTIONS, key)) {
    return `not a runtime setting (known: ${Object.keys(RUNTIME_OPTIONS).join(', ')})`;
  }
  const option: RuntimeOption = RUNTIME_OPTIONS[key as RuntimeKey];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < option.min || value > option.max) {
    return `must be a whole number from ${option.min} to ${option.max}`;
  }
  return null;
}
