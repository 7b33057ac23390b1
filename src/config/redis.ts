/**
 * Settings of the Redis connection layer (src/redis/). `mode` selects the topology; when it is
 * `auto` (the default) it is inferred: REDIS_CLUSTER_NODES → cluster, REDIS_SENTINELS → sentinel,
 * UPSTASH_REDIS_REST_URL + UPSTASH_REDIS_REST_TOKEN → rest, REDIS_URL (or REDIS_HOST / REDIS_PORT)
 * → single, nothing → memory (no Redis at all, nothing connects).
 *
 * The seeds' names are read as aliases (seed 001, 002 and 004 use REDIS_HOST / REDIS_PORT; seed
 * 003 names its Cluster and failover settings differently); the three of seed 003 that Plexus has
 * no use for are refused at startup with what to do instead.
 */
import { ConfigError } from '../errors.js';
import {
  type Alias,
  checkRefused,
  duration,
  loadSection,
  option,
  parse,
  type RefusedSetting,
  type SectionOf,
  sameAs,
} from './option.js';

export const REDIS_MODES = ['auto', 'memory', 'single', 'sentinel', 'cluster', 'rest'] as const;
export type RedisMode = Exclude<(typeof REDIS_MODES)[number], 'auto'>;

const CLUSTER_ENABLED = 'REDIS_CLUSTER_ENABLED';

/** Seeds 001–004: REDIS_HOST and REDIS_PORT make the single node's URL (6379 and localhost by default). */
const hostAndPort: Alias = {
  env: ['REDIS_HOST', 'REDIS_PORT'],
  doc: 'seeds 001–004: `redis://<REDIS_HOST or localhost>:<REDIS_PORT or 6379>`, when REDIS_URL is not set',
  map: ([host, port], setting) => {
    const number = port === undefined ? 6379 : parse.integer(1, 65535)(port, setting);
    const name = host?.trim() || 'localhost';
    return `redis://${name.includes(':') ? `[${name}]` : name}:${number}`;
  },
};

export const redisOptions = {
  mode: option({
    env: 'REDIS_MODE',
    default: 'auto' as (typeof REDIS_MODES)[number],
    doc: 'Topology: memory, single, sentinel, cluster, rest (Upstash over HTTP), or auto (inferred from the other settings). When NODE_ENV=production, memory mode must be asked for by name: inferring it (no Redis setting at all) refuses to start.',
    parse: parse.oneOf(REDIS_MODES),
    aliases: [
      {
        env: [CLUSTER_ENABLED],
        doc: 'seed 003: `true` is REDIS_MODE=cluster; `false` leaves the mode inferred from the other settings (and refuses REDIS_CLUSTER_NODES)',
        map: ([value], setting) => (parse.boolean()(value, setting) ? 'cluster' : undefined),
      },
    ],
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
    aliases: [hostAndPort],
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
  clusterPassword: option({
    env: 'REDIS_CLUSTER_PASSWORD',
    default: undefined as string | undefined,
    doc: 'Password for the Cluster nodes, when it differs from REDIS_PASSWORD (which then only serves the single node of REDIS_FALLBACK_TO_SINGLE).',
    parse: parse.optionalString(),
  }),
  fallbackToSingle: option({
    env: 'REDIS_FALLBACK_TO_SINGLE',
    default: false,
    doc: 'Cluster mode: while the Cluster is down for REDIS_FAILOVER_TIMEOUT_MS (at startup or while running), every instance uses the single node of REDIS_URL (or REDIS_HOST / REDIS_PORT), agreed through a marker key on that node, and returns to the Cluster once it has been whole for REDIS_FAILOVER_TIMEOUT_MS (in single mode there is nothing to fall back from; refused with Sentinel). Nothing is copied between the two stores: see docs/operations.md.',
    parse: parse.boolean(),
  }),
  failoverTimeoutMs: duration({
    env: 'REDIS_FAILOVER_TIMEOUT_MS',
    default: 10_000,
    unit: 'ms',
    min: 100,
    max: 600_000,
    doc: 'With REDIS_FALLBACK_TO_SINGLE: how long the Cluster must be down (at startup, or at every check while running) before the deployment moves to the single node, and whole before it moves back. Keep it above the time the Cluster needs to fail over.',
    aliases: [sameAs('REDIS_FAILOVER_TIMEOUT', 'seed 003')],
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
  restPollMs: duration({
    env: 'REDIS_REST_POLL_MS',
    default: 100,
    unit: 'ms',
    min: 10,
    max: 250,
    doc: 'rest topology only: how often subscribed channels are polled (REST has no push connection), so the longest extra delay of a bus message or an invalidation. At most 250, so an invalidation probe (given 500 ms) always comes back.',
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
    doc: 'Prefix of every key and channel Plexus uses, so several apps can share one Redis. Plexus adds the `:` separator itself: a trailing one (`app:`, as some seeds write it) is dropped.',
    parse: (raw, setting) => {
      const value = parse.string()(raw, setting).trim().replace(/:+$/, '');
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(value)) {
        throw new ConfigError(setting, 'use 1 to 64 letters, digits, dots, dashes or underscores');
      }
      return value;
    },
  }),
  commandTimeoutMs: duration({
    env: 'REDIS_COMMAND_TIMEOUT_MS',
    default: 250,
    unit: 'ms',
    min: 10,
    max: 60_000,
    doc: 'Longest a caller waits for one Redis command; then it gets REDIS_TIMEOUT (or the fallback).',
    aliases: [sameAs('REDIS_COMMAND_TIMEOUT', 'seed 003')],
  }),
  connectTimeoutMs: duration({
    env: 'REDIS_CONNECT_TIMEOUT_MS',
    default: 2000,
    unit: 'ms',
    min: 100,
    max: 60_000,
    doc: 'Longest one connection attempt may take.',
    aliases: [sameAs('REDIS_CONNECT_TIMEOUT', 'seed 003')],
  }),
  reconnectMaxDelayMs: duration({
    env: 'REDIS_RECONNECT_MAX_DELAY_MS',
    default: 1000,
    unit: 'ms',
    min: 50,
    max: 60_000,
    doc: 'Cap of the exponential back-off between reconnection attempts.',
    aliases: [sameAs('REDIS_RETRY_DELAY', 'seed 003')],
  }),
  healthCheckIntervalMs: duration({
    env: 'REDIS_HEALTH_INTERVAL_MS',
    default: 1000,
    unit: 'ms',
    min: 100,
    max: 60_000,
    doc: 'How often the layer PINGs Redis to notice a dead or paused server without traffic.',
    aliases: [sameAs('REDIS_HEALTH_CHECK_INTERVAL', 'seed 003')],
  }),
  breakerWindowMs: duration({
    env: 'REDIS_BREAKER_WINDOW_MS',
    default: 10_000,
    unit: 'ms',
    min: 1000,
    max: 600_000,
    doc: 'Rolling window over which the circuit breaker counts calls and failures.',
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
  breakerResetMs: duration({
    env: 'REDIS_BREAKER_RESET_MS',
    default: 1000,
    unit: 'ms',
    min: 50,
    max: 600_000,
    doc: 'How long the breaker stays open before a half-open probe (a PING) is tried.',
  }),
  returnProbeMs: duration({
    env: 'REDIS_RETURN_PROBE_MS',
    default: 100,
    unit: 'ms',
    min: 20,
    max: 10_000,
    doc: 'While degraded, how often each node is asked whether it answers again (one PING on a bare connection of its own). The first answer after the breaker opened reconnects at once and runs the half-open probe without waiting for the reconnect back-off or REDIS_BREAKER_RESET_MS (at most once per REDIS_BREAKER_RESET_MS).',
  }),
};

export type RedisSettings = SectionOf<typeof redisOptions>;

/** Redis settings with the mode resolved, as the connection layer receives them. */
export type RedisConfig = Omit<RedisSettings, 'mode'> & { mode: RedisMode };

/** Seed 003's settings that have no Plexus meaning. */
export const redisRefused: readonly RefusedSetting[] = [
  {
    env: 'REDIS_CONNECTION_POOL_SIZE',
    instead:
      'each process sends every command over one pipelined connection per node (plus one for pub/sub), so there is no pool to size; remove it',
  },
  {
    env: 'REDIS_MAX_RETRIES',
    instead:
      'a failed command is never retried (the caller gets the fallback within REDIS_COMMAND_TIMEOUT_MS) and connections are retried forever with a back-off capped by REDIS_RECONNECT_MAX_DELAY_MS; remove it',
  },
  {
    env: 'REDIS_MAX_FAILURES',
    instead:
      'the circuit breaker opens on a failure rate, not a count: use REDIS_BREAKER_VOLUME (calls in the window) and REDIS_BREAKER_ERROR_RATE (percent failing)',
  },
];

/**
 * Loads and resolves the section. With `environment` (NODE_ENV, as loadConfig passes it),
 * production refuses a memory mode that was only inferred: a Redis variable misspelt or missing
 * would otherwise turn every instance into a separate island without a word.
 */
export function loadRedisConfig(
  env: Record<string, string | undefined> = process.env,
  explicit: Partial<RedisSettings> = {},
  environment?: string,
): RedisConfig {
  checkRefused(redisRefused, env);
  const settings = loadSection('redis', redisOptions, env, explicit);
  const mode = resolveMode(settings);
  if (settings.mode === 'auto' && mode === 'cluster' && env[CLUSTER_ENABLED] !== undefined) {
    if (!parse.boolean()(env[CLUSTER_ENABLED], CLUSTER_ENABLED)) {
      throw new ConfigError(CLUSTER_ENABLED, 'false, but REDIS_CLUSTER_NODES is set: unset one of them');
    }
  }
  if (environment === 'production' && mode === 'memory' && settings.mode !== 'memory') {
    throw new ConfigError(
      'REDIS_MODE',
      'NODE_ENV is production and no Redis is configured, so every instance would keep its own state. Set REDIS_URL (or REDIS_HOST / REDIS_PORT), REDIS_SENTINELS or REDIS_CLUSTER_NODES; or set REDIS_MODE=memory to run as one process on purpose',
    );
  }
  if (settings.fallbackToSingle && mode === 'sentinel') {
    throw new ConfigError(
      'REDIS_FALLBACK_TO_SINGLE',
      'applies to cluster mode only: with Sentinel, the sentinels already promote a replica',
    );
  }
  if (settings.fallbackToSingle && mode === 'cluster' && settings.url === undefined) {
    throw new ConfigError(
      'REDIS_FALLBACK_TO_SINGLE',
      'needs the single node: set REDIS_URL or REDIS_HOST / REDIS_PORT',
    );
  }
  return { ...settings, mode };
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
  // With REDIS_FALLBACK_TO_SINGLE the database is the single node's.
  if (mode === 'cluster' && s.db !== 0 && !s.fallbackToSingle) {
    throw new ConfigError('REDIS_DB', 'Redis Cluster only has database 0');
  }
  return mode;
}
