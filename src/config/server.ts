/**
 * Settings of the reference server (src/server/) and of `plexus start` (src/cli/).
 *
 * `workers` only matters to the CLI: unset means one process that serves requests itself; a number
 * or `max` (one per CPU) makes the process a cluster primary that forks that many workers.
 */
import { ConfigError } from '../errors.js';
import { duration, loadSection, option, parse, type SectionOf, splitList } from './option.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type WorkerCount = number | 'max';

/** Admin tokens shorter than this are refused: they could be guessed. */
export const MIN_ADMIN_TOKEN_LENGTH = 16;

export const serverOptions = {
  host: option({
    env: 'HOST',
    default: '0.0.0.0',
    doc: 'Interface the HTTP server listens on (`0.0.0.0` for every IPv4 interface, `::` for IPv6 too).',
    parse: parse.string(),
  }),
  port: option({
    env: 'PORT',
    default: 3000,
    doc: 'TCP port the HTTP server listens on; 0 picks a free port.',
    parse: parse.integer(0, 65535),
  }),
  workers: option({
    env: 'PLEXUS_WORKERS',
    default: undefined as WorkerCount | undefined,
    doc: '`plexus start` forks this many cluster workers (a number, or `max` for one per CPU); unset serves from one process. More than one needs Redis.',
    parse: parseWorkers,
  }),
  apps: option({
    env: 'PLEXUS_APPS',
    default: undefined as string[] | undefined,
    doc: 'Applications the reference server and the CLI install, comma-separated (e.g. `qr`); unset installs every bundled application, empty installs none. `createPlexus({ apps })` in code installs exactly what it is given.',
    parse: (raw, setting) => {
      const items = splitList(raw);
      if (!Array.isArray(items) || items.some((item) => typeof item !== 'string')) {
        throw new ConfigError(setting, 'expected a comma-separated list of application names');
      }
      return items as string[];
    },
  }),
  adminToken: option({
    env: 'PLEXUS_ADMIN_TOKEN',
    default: undefined as string | undefined,
    doc: `Bearer token that admin routes (\`/api/1/admin/...\`) accept, at least ${MIN_ADMIN_TOKEN_LENGTH} characters. Unset: admin routes answer 401, and the server refuses to start when NODE_ENV=production.`,
    parse: (raw, setting) => {
      const token = parse.optionalString()(raw, setting);
      if (token !== undefined && token.length < MIN_ADMIN_TOKEN_LENGTH) {
        throw new ConfigError(setting, `must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters long`);
      }
      return token;
    },
  }),
  environment: option({
    env: 'NODE_ENV',
    default: 'development',
    doc: 'Deployment environment; `production` makes missing security settings fatal at startup.',
    parse: parse.string(),
  }),
  bodyLimit: option({
    env: 'PLEXUS_BODY_LIMIT',
    default: 1_048_576,
    doc: 'Largest request body accepted, in bytes; larger bodies get 413 BODY_TOO_LARGE.',
    parse: parse.integer(1024, 1_073_741_824),
  }),
  headersTimeoutMs: duration({
    env: 'PLEXUS_HEADERS_TIMEOUT_MS',
    default: 5000,
    unit: 'ms',
    min: 500,
    max: 600_000,
    doc: "Longest a client may take to send a request's headers; then it gets 408 REQUEST_TIMEOUT and the connection is closed (ends slowloris clients). Capped by PLEXUS_REQUEST_TIMEOUT_MS.",
  }),
  requestTimeoutMs: duration({
    env: 'PLEXUS_REQUEST_TIMEOUT_MS',
    default: 30_000,
    unit: 'ms',
    min: 500,
    max: 3_600_000,
    doc: 'Longest a client may take to send a whole request, body included; then it gets 408 REQUEST_TIMEOUT and the connection is closed.',
  }),
  shutdownTimeoutMs: duration({
    env: 'PLEXUS_SHUTDOWN_TIMEOUT_MS',
    default: 10_000,
    unit: 'ms',
    min: 100,
    max: 600_000,
    doc: 'On SIGTERM/SIGINT, how long in-flight requests may take to finish before connections are cut.',
  }),
  logLevel: option({
    env: 'LOG_LEVEL',
    default: 'info' as LogLevel,
    doc: 'Least severe level written to the JSON log on stdout.',
    parse: parse.oneOf(LOG_LEVELS),
  }),
  logRequests: option({
    env: 'PLEXUS_LOG_REQUESTS',
    default: false,
    doc: 'Log every request and response (off by default: it costs about a quarter of the throughput of a trivial route). Server errors are always logged.',
    parse: parse.boolean(),
  }),
  fastLane: option({
    env: 'PLEXUS_FAST_LANE',
    default: true,
    doc: 'Answer the common case of the hottest GET routes (a cached QR image, the signed-in account from the local session copy) in the request listener, before Fastify routes the request; same headers, body, request id and metrics (docs/architecture.md, "The fast lane"). Off while PLEXUS_LOG_REQUESTS is on.',
    parse: parse.boolean(),
  }),
  trustProxy: option({
    env: 'PLEXUS_TRUST_PROXY',
    default: false,
    doc: 'Trust X-Forwarded-* headers (set when the server runs behind a load balancer or reverse proxy).',
    parse: parse.boolean(),
  }),
  healthRequiresRedis: option({
    env: 'PLEXUS_HEALTH_REQUIRES_REDIS',
    default: false,
    doc: 'Make /api/1/health answer 503 while configured Redis is unreachable, instead of 200 with status `degraded`.',
    parse: parse.boolean(),
  }),
};

export type ServerConfig = SectionOf<typeof serverOptions>;

export function loadServerConfig(
  env: Record<string, string | undefined> = process.env,
  explicit: Partial<ServerConfig> = {},
): ServerConfig {
  return loadSection('server', serverOptions, env, explicit);
}

function parseWorkers(raw: unknown, setting: string): WorkerCount | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw === 'string' && raw.trim().toLowerCase() === 'max') return 'max';
  return parse.integer(1, 1024)(raw, setting);
}
