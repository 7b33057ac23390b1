/**
 * JSON schemas of the documents this module serves (routes validate and serialise with them).
 * Instance entries require only their id: reports come from every instance of the cluster, and
 * during a rolling upgrade some may carry fewer or more fields than this version knows.
 */
import { FIELD_RULES } from './aggregate.js';

const num = { type: 'number' } as const;
const int = { type: 'integer' } as const;
const str = { type: 'string' } as const;
const nullableStr = { type: ['string', 'null'] } as const;
const sourceProperties = {
  source: { type: 'string', enum: ['cluster', 'local'] },
  singleInstance: { type: 'boolean' },
} as const;

function object(properties: Record<string, object>, required: string[] = Object.keys(properties)) {
  return { type: 'object', additionalProperties: false, required, properties } as const;
}

const numbers = (...names: string[]) => object(Object.fromEntries(names.map((n) => [n, num])), []);
const countersSchema = { type: 'object', additionalProperties: int } as const;

const totalsSchema = object(
  Object.fromEntries(
    Object.entries(FIELD_RULES).map(([path, rule]) => [
      path,
      rule === 'distinct' ? { type: 'array', items: str } : num,
    ]),
  ),
);

const namespaceFigures = object(
  { path: str, connections: num, messages: num, lastActivity: { type: ['number', 'null'] } },
  ['path'],
);

/** The host's hardware and load (HostFacts in sampler.ts), in a report and in a server group. */
const hostProperties = {
  platform: str,
  arch: str,
  nodeVersion: str,
  cpus: num,
  loadAverage: { type: 'array', items: num },
  freeMemory: num,
  totalMemory: num,
};

const instanceSchema = object(
  {
    v: int,
    id: str,
    serverName: str,
    serverId: { type: ['integer', 'null'] },
    pid: int,
    version: str,
    environment: str,
    status: str,
    statusReason: nullableStr,
    startedAt: num,
    reportedAt: num,
    uptimeSeconds: num,
    reportIntervalMs: num,
    ttlMs: num,
    memory: numbers('rss', 'heapUsed', 'heapTotal', 'external'),
    cpu: numbers('percent'),
    eventLoop: numbers('delayP50Ms', 'delayP99Ms', 'delayMaxMs', 'utilization'),
    host: object(hostProperties, []),
    http: numbers(
      'connections',
      'inFlight',
      'requests',
      'errors',
      'requestsPerSecond',
      'errorsPerSecond',
      'latencyAvgMs',
      'latencyP99Ms',
    ),
    websocket: object(
      { connections: num, messages: num, namespaces: { type: 'array', items: namespaceFigures } },
      [],
    ),
    bus: {
      type: ['object', 'null'],
      additionalProperties: false,
      properties: { published: num, received: num, missed: num },
    },
    redis: object({ state: str }, []),
    counters: countersSchema,
    effectiveStatus: { type: 'string', enum: ['running', 'stopped', 'errored'] },
    statusDetail: { type: 'string', enum: ['running', 'stopping', 'stale', 'errored'] },
    lastSeenMs: num,
    uptimeFormatted: str,
  },
  ['id'],
);

const serverSchema = object({
  serverName: str,
  serverId: { type: ['integer', 'null'] },
  ...hostProperties,
  totals: totalsSchema,
  instances: { type: 'array', items: instanceSchema },
});

export const metricsDocumentSchema = object({
  status: { type: 'string', enum: ['ok'] },
  timestamp: str,
  ...sourceProperties,
  statistics: object({
    totalServers: int,
    totalInstances: int,
    totalProcesses: int,
    runningProcesses: int,
    stoppedProcesses: int,
    erroredProcesses: int,
    totalWebSocketConnections: num,
    totalWebSocketMessages: num,
    totalWebSocketNamespaces: int,
    webSocketNamespaces: {
      type: 'array',
      items: object({
        path: str,
        totalConnections: num,
        totalMessages: num,
        instanceCount: int,
        serverCount: int,
        status: { type: 'string', enum: ['green', 'yellow', 'red'] },
        lastActivity: nullableStr,
      }),
    },
    totals: totalsSchema,
    hardware: object({ cpus: num, totalMemory: num, freeMemory: num }),
    counters: countersSchema,
    lastUpdated: nullableStr,
  }),
  servers: { type: 'array', items: serverSchema },
});

export const serversDocumentSchema = object({
  timestamp: str,
  ...sourceProperties,
  totalServers: int,
  servers: { type: 'array', items: serverSchema },
});

const requestCount = object({ method: str, route: str, status: int, count: int });

export const requestsDocumentSchema = object({
  ...sourceProperties,
  minutes: int,
  from: str,
  to: str,
  total: int,
  byStatus: countersSchema,
  routes: { type: 'array', items: requestCount },
  perMinute: {
    type: 'array',
    items: object({ minute: str, total: int, routes: { type: 'array', items: requestCount } }),
  },
});

export const errorsDocumentSchema = object({
  ...sourceProperties,
  count: int,
  errors: {
    type: 'array',
    items: object(
      {
        message: str,
        code: nullableStr,
        statusCode: { type: ['integer', 'null'] },
        stack: nullableStr,
        instanceId: str,
        serverName: str,
        time: str,
        context: object({
          method: nullableStr,
          url: nullableStr,
          route: nullableStr,
          requestId: nullableStr,
          userId: nullableStr,
        }),
      },
      ['message', 'instanceId', 'time'],
    ),
  },
});

export const countersDocumentSchema = object({ ...sourceProperties, counters: countersSchema });
