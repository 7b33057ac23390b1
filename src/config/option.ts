/**
 * Option specifications: each setting is declared once, with its environment variable, its
 * default and its documentation. Config loading, validation and docs/configuration.md are all
 * derived from these declarations, so a default can never be stated in two places.
 *
 * A parser accepts either a string (from the environment or a .env file) or an already typed
 * value (from code or a JSON config file) and returns the typed value, or throws a ConfigError
 * naming the setting.
 */
import { ConfigError } from '../errors.js';

export type Parser<T> = (raw: unknown, setting: string) => T;

export interface OptionSpec<T> {
  /** Environment variable that sets it, when there is one. */
  env?: string;
  /** Value used when nothing sets it. `undefined` means "not set". */
  default: T;
  /** One sentence for docs/configuration.md. */
  doc: string;
  parse: Parser<T>;
}

export type SectionSpec = Record<string, OptionSpec<unknown>>;
export type SectionOf<S extends SectionSpec> = {
  [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never;
};

export function option<T>(spec: OptionSpec<T>): OptionSpec<T> {
  return spec;
}

function fail(setting: string, message: string): never {
  throw new ConfigError(setting, message);
}

export const parse = {
  string(): Parser<string> {
    return (raw, setting) => {
      if (typeof raw !== 'string') fail(setting, `expected a string, got ${typeof raw}`);
      return raw;
    };
  },

  optionalString(): Parser<string | undefined> {
    return (raw, setting) => {
      if (raw === undefined || raw === '') return undefined;
      if (typeof raw !== 'string') fail(setting, `expected a string, got ${typeof raw}`);
      return raw;
    };
  },

  /** An integer within [min, max]; accepts numeric strings. */
  integer(min: number, max = Number.MAX_SAFE_INTEGER): Parser<number> {
    return (raw, setting) => {
      const value = typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw;
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        fail(setting, `expected a whole number, got ${JSON.stringify(raw)}`);
      }
      if (value < min || value > max) fail(setting, `must be between ${min} and ${max}, got ${value}`);
      return value;
    };
  },

  boolean(): Parser<boolean> {
    return (raw, setting) => {
      if (typeof raw === 'boolean') return raw;
      if (typeof raw === 'string') {
        const v = raw.trim().toLowerCase();
        if (['1', 'true', 'yes', 'on'].includes(v)) return true;
        if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
      }
      return fail(setting, `expected true or false, got ${JSON.stringify(raw)}`);
    };
  },

  oneOf<const T extends string>(values: readonly T[]): Parser<T> {
    return (raw, setting) => {
      if (typeof raw === 'string' && (values as readonly string[]).includes(raw.trim()))
        return raw.trim() as T;
      return fail(setting, `expected one of ${values.join(', ')}, got ${JSON.stringify(raw)}`);
    };
  },

  /** A comma-separated list (or an array) of `host:port` addresses. */
  hostList(): Parser<HostPort[]> {
    return (raw, setting) => {
      const items = splitList(raw);
      if (!Array.isArray(items)) fail(setting, 'expected a comma-separated list of host:port');
      return items.map((item: unknown) => parseHostPort(item, setting));
    };
  },
};

/** A comma-separated string as its trimmed, non-empty items; anything else is returned as is. */
export function splitList(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

export interface HostPort {
  host: string;
  port: number;
}

function parseHostPort(item: unknown, setting: string): HostPort {
  if (typeof item === 'object' && item !== null && 'host' in item && 'port' in item) {
    const { host, port } = item as { host: unknown; port: unknown };
    if (typeof host === 'string' && typeof port === 'number') return checkPort({ host, port }, setting);
  }
  if (typeof item !== 'string') return fail(setting, `expected host:port, got ${JSON.stringify(item)}`);
  const match = /^\[?([^\]\s]+?)\]?:(\d+)$/.exec(item);
  if (!match) return fail(setting, `expected host:port, got ${JSON.stringify(item)}`);
  return checkPort({ host: match[1]!, port: Number(match[2]) }, setting);
}

function checkPort(address: HostPort, setting: string): HostPort {
  if (!Number.isInteger(address.port) || address.port < 1 || address.port > 65535) {
    fail(setting, `port out of range in ${address.host}:${address.port}`);
  }
  return address;
}

/**
 * Resolves one section: for each option, the explicit value wins, then the environment variable,
 * then the default. Unknown explicit keys are refused so that typos surface at startup.
 */
export function loadSection<S extends SectionSpec>(
  sectionName: string,
  spec: S,
  env: Record<string, string | undefined>,
  explicit: Record<string, unknown> = {},
): SectionOf<S> {
  for (const key of Object.keys(explicit)) {
    if (!(key in spec)) throw new ConfigError(`${sectionName}.${key}`, 'unknown setting');
  }
  const result: Record<string, unknown> = {};
  for (const [key, opt] of Object.entries(spec)) {
    const name = opt.env ?? `${sectionName}.${key}`;
    const fromEnv = opt.env === undefined ? undefined : env[opt.env];
    const raw = explicit[key] !== undefined ? explicit[key] : fromEnv !== undefined ? fromEnv : undefined;
    result[key] =
      raw === undefined
        ? opt.default
        : opt.parse(raw, explicit[key] !== undefined ? `${sectionName}.${key}` : name);
  }
  return result as SectionOf<S>;
}
