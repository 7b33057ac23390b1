/**
 * Settings of the data-access layer (src/db/). The engine follows from DATABASE_URL: a
 * `postgres://` or `postgresql://` URL selects PostgreSQL; `sqlite:<path>` (or `sqlite::memory:`)
 * selects the embedded SQLite engine at that path; unset, the embedded engine uses
 * `<PLEXUS_DATA_DIR>/plexus.db`, so a fresh checkout needs no database server.
 */
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { duration, loadSection, option, parse, type SectionOf } from './option.js';

export const dbOptions = {
  url: option({
    env: 'DATABASE_URL',
    default: undefined as string | undefined,
    doc: '`postgres://user:pass@host:5432/db` for PostgreSQL, or `sqlite:<file>` / `sqlite::memory:` for the embedded engine. Unset: embedded SQLite in PLEXUS_DATA_DIR.',
    parse: (raw, setting) => {
      const url = parse.optionalString()(raw, setting);
      if (url !== undefined) engineOf(url, setting);
      return url;
    },
  }),
  dataDir: option({
    env: 'PLEXUS_DATA_DIR',
    default: './data',
    doc: 'Directory of the embedded database file (`plexus.db`), created when missing.',
    parse: parse.string(),
  }),
  schema: option({
    env: 'DATABASE_SCHEMA',
    default: 'public',
    doc: 'PostgreSQL schema that holds Plexus tables (created when missing); lets several apps or test runs share a database.',
    parse: (raw, setting) => {
      const value = parse.string()(raw, setting);
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(value)) {
        throw new ConfigError(setting, 'use 1 to 63 lowercase letters, digits or underscores');
      }
      return value;
    },
  }),
  poolSize: option({
    env: 'DATABASE_POOL_SIZE',
    default: 10,
    doc: 'Most PostgreSQL connections one process opens.',
    parse: parse.integer(1, 1000),
  }),
  busyTimeoutMs: duration({
    env: 'DATABASE_BUSY_TIMEOUT_MS',
    default: 5000,
    unit: 'ms',
    min: 0,
    max: 600_000,
    doc: 'Embedded engine: how long a write waits for another process holding the write lock.',
  }),
  connectTimeoutMs: duration({
    env: 'DATABASE_CONNECT_TIMEOUT_MS',
    default: 5000,
    unit: 'ms',
    min: 100,
    max: 600_000,
    doc: 'PostgreSQL: longest wait for a connection, from the server or from a busy pool.',
  }),
};

export type DbSettings = SectionOf<typeof dbOptions>;

export type DbEngine = 'sqlite' | 'postgres';

/** Database settings with the engine resolved, as src/db/ receives them. */
export type DbConfig = DbSettings &
  ({ engine: 'sqlite'; filename: string } | { engine: 'postgres'; connectionString: string });

export function loadDbConfig(
  env: Record<string, string | undefined> = process.env,
  explicit: Partial<DbSettings> = {},
): DbConfig {
  const settings = loadSection('db', dbOptions, env, explicit);
  if (settings.url === undefined) {
    return { ...settings, engine: 'sqlite', filename: join(settings.dataDir, 'plexus.db') };
  }
  const engine = engineOf(settings.url, 'DATABASE_URL');
  return engine === 'postgres'
    ? { ...settings, engine, connectionString: settings.url }
    : { ...settings, engine, filename: settings.url.slice('sqlite:'.length) };
}

function engineOf(url: string, setting: string): DbEngine {
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgres';
  if (url.startsWith('sqlite:') && url.length > 'sqlite:'.length) return 'sqlite';
  throw new ConfigError(setting, 'expected a postgres://, postgresql:// or sqlite:<file> URL');
}
