/**
 * Option specifications: each setting is declared once, with its environment variable, its
 * default and its documentation. Config loading, validation and docs/configuration.md are all
 * derived from these declarations, so a default can never be stated in two places.
 *
 * A parser accepts either a string (from the environment or a .env file) or an already typed
 * value (from code or a JSON config file) and returns the typed value, or throws a ConfigError
 * naming the setting.
 *
 * An option may also be read from aliases: the names the seeds' deployments already use
 * (`REDIS_HOST`, `CACHE_TTL` in seconds, ...), declared beside the option they set so that an
 * existing .env keeps working and no name is read in two places. The option's own variable wins
 * over its aliases (env-check.ts warns when they disagree). Names that have no Plexus meaning are
 * declared as refused settings: startup fails naming what to use instead, rather than ignoring them.
 */
import { ConfigError } from '../errors.js';
import { DURATION_UNITS, type DurationUnit, durationSyntax, toMilliseconds, UNIT_NAMES } from './duration.js';

export type Parser<T> = (raw: unknown, setting: string) => T;

export interface OptionSpec<T> {
  /** Environment variable that sets it, when there is one. */
  env?: string;
  /** Value used when nothing sets it. `undefined` means "not set". */
  default: T;
  /** One sentence for docs/configuration.md. */
  doc: string;
  parse: Parser<T>;
  /** Set on durations: the unit of the value, and of a bare number in its variable. */
  unit?: DurationUnit;
  /** Other variables it is read from when `env` is not set, first set alias first. */
  aliases?: readonly Alias[];
}

export interface Alias {
  /** The variables read, in the order `map` receives their values. */
  env: readonly string[];
  /** For docs/configuration.md: where the name comes from and how its value maps. */
  doc: string;
  /** The option's raw value from the variables' values; by default the first, as it is. */
  map?: (values: readonly (string | undefined)[], setting: string) => unknown;
}

/** A name from the seeds with no Plexus meaning: startup fails with `instead` (unless `accepts`). */
export interface RefusedSetting {
  env: string;
  /** What to do instead; the error reads "<env>: not supported by Plexus: <instead>". */
  instead: string;
  /** Values that are accepted because they ask for what Plexus does anyway. */
  accepts?: (raw: string) => boolean;
}

export type SectionSpec = Record<string, OptionSpec<unknown>>;
export type SectionOf<S extends SectionSpec> = {
  [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never;
};

export function option<T>(spec: OptionSpec<T>): OptionSpec<T> {
  return spec;
}

/** An alias that reads `env` as the option's own variable would read it. */
export function sameAs(env: string, origin: string): Alias {
  return { env: [env], doc: origin };
}

/** A duration alias whose bare numbers are in `unit` (seed 003's CACHE_TTL is in seconds). */
export function durationIn(env: string, unit: DurationUnit, origin: string): Alias {
  return {
    env: [env],
    doc: `${origin}; a bare number is in ${UNIT_NAMES[unit]}`,
    map: ([value]) =>
      value !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(value) ? `${value.trim()}${unit}` : value,
  };
}

/** The raw value an alias gives `spec`, and the alias's name for errors; undefined when none is set. */
export function aliasValue(
  spec: OptionSpec<unknown>,
  env: Record<string, string | undefined>,
): { setting: string; raw: unknown } | undefined {
  for (const alias of spec.aliases ?? []) {
    const values = alias.env.map((name) => (env[name] === '' ? undefined : env[name]));
    if (values.every((value) => value === undefined)) continue;
    const setting = alias.env.filter((_, i) => values[i] !== undefined).join(', ');
    const raw = alias.map === undefined ? values[0] : alias.map(values, setting);
    if (raw !== undefined) return { setting, raw };
  }
  return undefined;
}

/** Throws for the first refused setting present in `env` with a value it does not accept. */
export function checkRefused(
  refused: readonly RefusedSetting[],
  env: Record<string, string | undefined>,
): void {
  for (const { env: name, instead, accepts } of refused) {
    const raw = env[name];
    if (raw === undefined || raw === '' || accepts?.(raw)) continue;
    throw new ConfigError(name, `not supported by Plexus: ${instead}`);
  }
}

/** A duration option: `min`, `max` and `default` are in `unit`, and so is the loaded value. */
export function duration(spec: {
  env?: string;
  default: number;
  doc: string;
  unit: DurationUnit;
  min: number;
  max?: number;
  aliases?: readonly Alias[];
}): OptionSpec<number> {
  const { min, max, ...rest } = spec;
  return { ...rest, parse: parse.duration(spec.unit, min, max) };
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

  /** A duration (duration.ts) as a whole number of `unit` within [min, max]. */
  duration(unit: DurationUnit, min: number, max = Number.MAX_SAFE_INTEGER): Parser<number> {
    const units = UNIT_NAMES[unit];
    return (raw, setting) => {
      const ms = toMilliseconds(raw, unit);
      if (Number.isNaN(ms)) fail(setting, `expected ${durationSyntax(unit)}, got ${JSON.stringify(raw)}`);
      const value = ms / DURATION_UNITS[unit];
      if (!Number.isInteger(value))
        fail(setting, `must be a whole number of ${units}, got ${JSON.stringify(raw)}`);
      if (value < min || value > max) {
        const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`;
        fail(setting, `must be ${range} ${units}, got ${value}`);
      }
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
 * then its aliases, then the default. Unknown explicit keys are refused so that typos surface at
 * startup. A bad value's error names the variable that was actually set.
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
    const source = sourceOf(sectionName, key, opt, env, explicit);
    result[key] = source === undefined ? opt.default : opt.parse(source.raw, source.setting);
  }
  return result as SectionOf<S>;
}

function sourceOf(
  sectionName: string,
  key: string,
  opt: OptionSpec<unknown>,
  env: Record<string, string | undefined>,
  explicit: Record<string, unknown>,
): { setting: string; raw: unknown } | undefined {
  if (explicit[key] !== undefined) return { setting: `${sectionName}.${key}`, raw: explicit[key] };
  if (opt.env !== undefined && env[opt.env] !== undefined) return { setting: opt.env, raw: env[opt.env] };
  return aliasValue(opt, env);
}
