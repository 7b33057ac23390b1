/**
 * Settings of the Redis connection layer (src/redis/). `mode` selects the topology; when it is
 * `auto` (the default) it is inferred: REDIS_CLUSTER_NODES → cluster, REDIS_SENTINELS → sentinel,
 * UPSTASH_REDIS_REST_URL + UPSTASH_REDIS_REST_TOKEN → rest, REDIS_URL → single, nothing → memory
 * (no Redis at all, nothing connects).
 */
import { ConfigError } from '../errors.js';
import { loadSection, option, parse, type SectionOf } from './option.js';

export const REDIS_MODES = ['auto', 'memory', 'single', 'sentinel', 'cluster', 'rest'] as const;
export type RedisMode = Exclude<(typeof REDIS_MODES)[number], 'auto'>;

export const redisOptions = {
  mode: option({
    env: 'REDIS_MODE',
    default: 'auto' as (typeof REDIS_MODES)[number],
    doc: 'Topology: memory, single, sentinel, cluster, rest (Upstash over HTTP), or auto (inferred from the other settings).',
    parse: parse.oneOf(REDIS_MODES),
  }),
  url: option({
    env: 'REDIS_URL',
    default: undefined as string | undefined,
    doc: 'Single-node URL, `redis://[user:pass@]host:port[/db]` or `rediss://` for TLS. Defaults to redis://127.0.0.1:6379 in single mode.',
    parse: (raw, setting) => {
      const url = parse.optionalString()(raw, setting);
      if (url === undefined) return undefined;
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw new ConfigError(setting, `not a valid URL: ${JSON.stringify(url)}`);
      }
      if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
        throw new ConfigError(setting, `expected a redis:// or rediss:// URL, got ${parsed.protocol}//`);
      }
      if (parsed.hostname === '') throw new ConfigError(setting, 'the URL has no host');
      return url;
    },
  }),
  sentinels: option({
    env: 'REDIS_SENTINELS',
    default: [] as { host: string; port: number }[],
    doc: 'Sentinel addresses, `host:port,host:port`.',
    parse: parse.hostList(),
  }),
  sentinelMaster: option({
    env: 'REDIS_SENTINEL_MASTER',
    default: 'mymaster',
    doc: 'Name of the master the sentinels monitor.',
    parse: parse.string(),
  }),
  sentinelUsername: option({
    env: 'REDIS_SENTINEL_USERNAME',
    default: undefined as string | undefined,
    doc: 'ACL username for the sentinels themselves, when they require auth.',
    parse: parse.optionalString(),
  }),
  sentinelPassword: option({
    env: 'REDIS_SENTINEL_PASSWORD',
    default: undefined as string | undefined,
    doc: 'Password for the sentinels themselves, when they require auth.',
    parse: parse.optionalString(),
  }),
  clusterNodes: option({
    env: 'REDIS_CLUSTER_NODES',
    default: [] as { host: string; port: number }[],
    doc: 'Seed nodes of a Redis Cluster, `host:port,host:port`; the rest is discovered.',
    parse: parse.hostList(),
  }),
  restUrl: option({
    env: 'UPSTASH_REDIS_REST_URL',
    default: undefined as string | undefined,
    doc: 'Base URL of an Upstash REST endpoint (`https://…`); with the token it selects the rest topology.',
    parse: (raw, setting) => {
      const url = parse.optionalString()(raw, setting);
      if (url === undefined) return undefined;
      if (!/^https?:\/\/[^\s/?#]+/.test(url)) {
        throw new ConfigError(setting, `expected an http:// or https:// URL, got ${JSON.stringify(url)}`);
      }
      return url.replace(/\/+$/, '');
    },
  }),
  restToken: option({
    env: 'UPSTASH_REDIS_REST_TOKEN',
    default: undefined as string | undefined,
    doc: 'Bearer token of the Upstash REST endpoint.',
    parse: parse.optionalString(),
  }),
  restPollMs: option({
    env: 'REDIS_REST_POLL_MS',
    default: 100,
    doc: 'rest topology only: how often subscribed channels are polled (REST has no push connection), so the longest extra delay of a bus message or an invalidation. At most 250, so an invalidation probe (given 500 ms) always comes back.',
    parse: parse.integer(10, 250),
  }),
  username: option({
    env: 'REDIS_USERNAME',
    default: undefined as string | undefined,
    doc: 'ACL username for the data nodes (overrides one in REDIS_URL).',
    parse: parse.optionalString(),
  }),
  password: option({
    env: 'REDIS_PASSWORD',
    default: undefined as string | undefined,
    doc: 'Password for the data nodes (overrides one in REDIS_URL).',
    parse: parse.optionalString(),
  }),
  tls: option({
    env: 'REDIS_TLS',
    default: false,
    doc: 'Connect with TLS (implied by a rediss:// URL).',
    parse: parse.boolean(),
  }),
  db: option({
    env: 'REDIS_DB',
    default: 0,
    doc: 'Logical database for single and sentinel modes (Cluster has only 0).',
    parse: parse.integer(0, 15),
  }),
  keyPrefix: option({
    env: 'REDIS_KEY_PREFIX',
    default: 'plexus',
    doc: 'Prefix of every key and channel Plexus uses, so several apps can share one Redis.',
    parse: (raw, setting) => {
      const value = parse.string()(raw, setting);
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(value)) {
        throw new ConfigError(setting, 'use 1 to 64 letters, digits, dots, dashes or underscores');
      }
      return value;
    },
  }),
  commandTimeoutMs: option({
    env: 'REDIS_COMMAND_TIMEOUT_MS',
    default: 250,
    doc: 'Longest a caller waits for one Redis command; then it gets REDIS_TIMEOUT (or the fallback).',
    parse: parse.integer(10, 60_000),
  }),
  connectTimeoutMs: option({
    env: 'REDIS_CONNECT_TIMEOUT_MS',
    default: 2000,
    doc: 'Longest one connection attempt may take.',
    parse: parse.integer(100, 60_000),
  }),
  reconnectMaxDelayMs: option({
    env: 'REDIS_RECONNECT_MAX_DELAY_MS',
    default: 1000,
    doc: 'Cap of the exponential back-off between reconnection attempts.',
    parse: parse.integer(50, 60_000),
  }),
  healthCheckIntervalMs: option({
    env: 'REDIS_HEALTH_INTERVAL_MS',
    default: 1000,
    doc: 'How often the layer PINGs Redis to notice a dead or paused server without traffic.',
    parse: parse.integer(100, 60_000),
  }),
  breakerWindowMs: option({
    env: 'REDIS_BREAKER_WINDOW_MS',
    default: 10_000,
    doc: 'Rolling window over which the circuit breaker counts calls and failures.',
    parse: parse.integer(1000, 600_000),
  }),
  breakerVolumeThreshold: option({
    env: 'REDIS_BREAKER_VOLUME',
    default: 20,
    doc: 'Calls needed in the window before the error rate can open the breaker.',
    parse: parse.integer(1, 1_000_000),
  }),
  breakerErrorRate: option({
    env: 'REDIS_BREAKER_ERROR_RATE',
    default: 50,
    doc: 'Failure percentage in the window that opens the breaker.',
    parse: parse.integer(1, 100),
  }),
  breakerResetMs: option({
    env: 'REDIS_BREAKER_RESET_MS',
    default: 1000,
    doc: 'How long the breaker stays open before a half-open probe (a PING) is tried.',
    parse: parse.integer(50, 600_000),
  }),
};

export type RedisSettings = SectionOf<typeof redisOptions>;

/** Redis settings with the mode resolved, as the connection layer receives them. */
export type RedisConfig = Omit<RedisSettings, 'mode'> & { mode: RedisMode };

export function loadRedisConfig(
  env: Record<string, string | undefined> = process.env,
  explicit: Partial<RedisSettings> = {},
): RedisConfig {
  const settings = loadSection('redis', redisOptions, env, explicit);
  return { ...settings, mode: resolveMode(settings) };
}

function resolveMode(s: RedisSettings): RedisMode {
  const mode: RedisMode =
    s.mode !== 'auto'
      ? s.mode
      : s.clusterNodes.length > 0
        ? 'cluster'
        : s.sentinels.length > 0
          ? 'sentinel'
          : s.restUrl !== undefined && s.restToken !== undefined
            ? 'rest'
            : s.url !== undefined
              ? 'single'
              : 'memory';
  if (mode === 'cluster' && s.clusterNodes.length === 0) {
    throw new ConfigError('REDIS_CLUSTER_NODES', 'cluster mode needs at least one seed node');
  }
  if (mode === 'sentinel' && s.sentinels.length === 0) {
    throw new ConfigError('REDIS_SENTINELS', 'sentinel mode needs at least one sentinel address');
  }
  if (mode === 'rest' && s.restUrl === undefined) {
    throw new ConfigError('UPSTASH_REDIS_REST_URL', 'rest mode needs the REST endpoint URL');
  }
  if (mode === 'rest' && s.restToken === undefined) {
    throw new ConfigError('UPSTASH_REDIS_REST_TOKEN', 'rest mode needs the REST token');
  }
  if (mode === 'cluster' && s.db !== 0) {
    throw new ConfigError('REDIS_DB', 'Redis Cluster only has database 0');
  }
  return mode;
}
