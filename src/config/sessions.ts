/**
 * Settings of shared sessions (src/sessions/) and accounts (src/accounts/).
 *
 * SESSION_SECRET signs the session cookie. In production (NODE_ENV=production) it is required and
 * must be at least 32 characters; elsewhere a fixed development secret is used when it is unset,
 * so that several local instances accept each other's cookies. `checkSessionSecret` enforces this
 * at startup.
 */
import { ConfigError } from '../errors.js';
import { duration, loadSection, option, parse, type SectionOf } from './option.js';

export const MIN_SESSION_SECRET_LENGTH = 32;

/** Used only outside production when SESSION_SECRET is unset; public, hence never safe. */
export const DEVELOPMENT_SESSION_SECRET = 'plexus-development-session-secret-do-not-use-in-production';

export const COOKIE_SECURE_MODES = ['auto', 'always', 'never'] as const;
export type CookieSecureMode = (typeof COOKIE_SECURE_MODES)[number];

function secret(raw: unknown, setting: string): string | undefined {
  const value = parse.optionalString()(raw, setting);
  if (value !== undefined && value.length < MIN_SESSION_SECRET_LENGTH) {
    throw new ConfigError(setting, `must be at least ${MIN_SESSION_SECRET_LENGTH} characters long`);
  }
  return value;
}

function secretList(raw: unknown, setting: string): string[] {
  const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : undefined;
  if (items === undefined) throw new ConfigError(setting, 'expected a comma-separated list of secrets');
  return items
    .map((item: unknown) => (typeof item === 'string' ? item.trim() : item))
    .filter((item) => item !== '')
    .map((item) => secret(item, setting)!);
}

export const sessionsOptions = {
  secret: option({
    env: 'SESSION_SECRET',
    default: undefined as string | undefined,
    doc: `Key that signs session cookies, at least ${MIN_SESSION_SECRET_LENGTH} characters. Required when NODE_ENV=production (startup is refused without it); elsewhere a public development secret is used.`,
    parse: secret,
  }),
  previousSecrets: option({
    env: 'SESSION_PREVIOUS_SECRETS',
    default: [] as string[],
    doc: 'Comma-separated former secrets: cookies signed with them are still accepted and re-signed with SESSION_SECRET (key rotation).',
    parse: secretList,
  }),
  ttlSeconds: duration({
    env: 'SESSION_TTL',
    default: 86_400,
    unit: 's',
    min: 60,
    max: 365 * 86_400,
    doc: 'Rolling lifetime of a session in seconds: each request renews it, inactivity for this long ends it.',
  }),
  cookieName: option({
    env: 'SESSION_COOKIE_NAME',
    default: 'plexus.sid',
    doc: 'Name of the session cookie.',
    parse: (raw, setting) => {
      const value = parse.string()(raw, setting);
      if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/.test(value)) {
        throw new ConfigError(setting, 'not a valid cookie name');
      }
      return value;
    },
  }),
  cookieSecure: option({
    env: 'SESSION_COOKIE_SECURE',
    default: 'auto' as CookieSecureMode,
    doc: 'Secure attribute of the cookie: `auto` sets it when NODE_ENV=production, `always` or `never` force it.',
    parse: parse.oneOf(COOKIE_SECURE_MODES),
  }),
  durable: option({
    env: 'SESSION_DURABLE',
    default: false,
    doc: 'Also write sessions to the database in the background and restore them into Redis at startup and after Redis comes back, so a Redis restart without persistence loses no session.',
    parse: parse.boolean(),
  }),
  durableFlushMs: duration({
    env: 'SESSION_DURABLE_FLUSH_MS',
    default: 2000,
    unit: 'ms',
    min: 50,
    max: 600_000,
    doc: 'Durable mode: how often changed sessions are written to the database (logouts are written at once).',
  }),
  localCacheMs: duration({
    env: 'SESSION_LOCAL_CACHE_MS',
    default: 2000,
    unit: 'ms',
    min: 0,
    max: 5000,
    doc: 'How long an instance may answer from its own copy of a session it read from Redis (capped by the 5 s renewal step); 0 reads Redis on every request. Changes and logouts made on any instance drop the copies everywhere at once over pub/sub; this is the bound if such a message is lost. Unused without Redis.',
  }),
  localCacheMaxEntries: option({
    env: 'SESSION_LOCAL_CACHE_MAX_ENTRIES',
    default: 10_000,
    doc: 'Most sessions kept in the local copy per instance; the oldest copy goes first.',
    parse: parse.integer(1, 10_000_000),
  }),
  outageGraceMs: duration({
    env: 'SESSION_OUTAGE_GRACE',
    default: 300_000,
    unit: 'ms',
    min: 0,
    max: 86_400_000,
    doc: "While Redis (or the session's Cluster shard) cannot be reached, an instance keeps serving the sessions it read from Redis within this long, instead of answering 503; a session ended meanwhile on another instance may be served here that long, and is ended everywhere once Redis is back (logout epoch). 0 turns it off.",
  }),
  loginAccountLimit: option({
    env: 'LOGIN_LIMIT_PER_ACCOUNT',
    default: 10,
    doc: 'Login attempts allowed per account name in one window, across the cluster; a successful login resets the count. The default of the runtime setting `plexus/login.perAccount` (docs/flags.md), which overrides it while set.',
    parse: parse.integer(1, 1_000_000),
  }),
  loginIpLimit: option({
    env: 'LOGIN_LIMIT_PER_IP',
    default: 50,
    doc: 'Login attempts allowed per client address (IPv6: per /64) in one window, across the cluster. The default of the runtime setting `plexus/login.perAddress` (docs/flags.md).',
    parse: parse.integer(1, 1_000_000),
  }),
  loginWindowSeconds: duration({
    env: 'LOGIN_LIMIT_WINDOW',
    default: 900,
    unit: 's',
    min: 1,
    max: 86_400,
    doc: 'Length of the login rate-limit window in seconds, counted from the first attempt; over the limit, logins get 429 with Retry-After. The default of the runtime setting `plexus/login.windowSeconds` (docs/flags.md).',
  }),
};

export const accountsOptions = {
  adminEmail: option({
    env: 'PLEXUS_ADMIN_EMAIL',
    default: undefined as string | undefined,
    doc: 'Login of the first admin, created at startup when no account has that login (with PLEXUS_ADMIN_PASSWORD).',
    parse: parse.optionalString(),
  }),
  adminPassword: option({
    env: 'PLEXUS_ADMIN_PASSWORD',
    default: undefined as string | undefined,
    doc: 'Password of that first admin; never changed afterwards by this setting.',
    parse: parse.optionalString(),
  }),
  scryptCost: option({
    env: 'PASSWORD_SCRYPT_COST',
    default: 15,
    doc: 'scrypt CPU/memory cost as log2(N): 15 means N=32768, 32 MiB per hash (with r=8). Stored hashes keep their own parameters and are upgraded at the next login.',
    parse: parse.integer(10, 20),
  }),
  scryptParallelism: option({
    env: 'PASSWORD_SCRYPT_PARALLELISM',
    default: 3,
    doc: 'scrypt parallelization p; with N=2^15 and r=8, p=3 is one of the OWASP-recommended settings.',
    parse: parse.integer(1, 16),
  }),
};

export type SessionsConfig = SectionOf<typeof sessionsOptions>;
export type AccountsConfig = SectionOf<typeof accountsOptions>;

export function loadSessionsConfig(
  env: Record<string, string | undefined> = process.env,
  explicit: Partial<SessionsConfig> = {},
): SessionsConfig {
  return loadSection('sessions', sessionsOptions, env, explicit);
}

export function loadAccountsConfig(
  env: Record<string, string | undefined> = process.env,
  explicit: Partial<AccountsConfig> = {},
): AccountsConfig {
  const config = loadSection('accounts', accountsOptions, env, explicit);
  if ((config.adminEmail === undefined) !== (config.adminPassword === undefined)) {
    throw new ConfigError(
      config.adminEmail === undefined ? 'PLEXUS_ADMIN_EMAIL' : 'PLEXUS_ADMIN_PASSWORD',
      'PLEXUS_ADMIN_EMAIL and PLEXUS_ADMIN_PASSWORD are set together or not at all',
    );
  }
  return config;
}

/**
 * The secrets that sign (first) and verify (all) cookies. Refuses to start in production without
 * a SESSION_SECRET; elsewhere falls back to the public development secret.
 */
export function sessionSecrets(config: SessionsConfig, environment: string): string[] {
  if (config.secret === undefined) {
    if (environment === 'production') {
      throw new ConfigError(
        'SESSION_SECRET',
        `required when NODE_ENV=production (at least ${MIN_SESSION_SECRET_LENGTH} random characters, e.g. \`openssl rand -base64 48\`)`,
      );
    }
    return [DEVELOPMENT_SESSION_SECRET, ...config.previousSecrets];
  }
  return [config.secret, ...config.previousSecrets];
}
