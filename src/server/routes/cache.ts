/**
 * The shared-state backend as operators look at it:
 * - GET /api/1/health/cache (alias /api/health/cache): public; type, whether state is distributed
 *   across instances right now, status, every node with its health, operation counters, connections.
 * - GET /api/1/admin/cache/cluster (alias /api/admin/cache/cluster): admin; the same, plus per-node
 *   operation statistics, the circuit breaker and why the layer is degraded.
 * Both ping every node (bounded by REDIS_COMMAND_TIMEOUT_MS) and read the layer's statistics.
 * Operation counters cover calls to Redis; in memory mode they stay at zero.
 */
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { FromSchema } from 'json-schema-to-ts';
import type { RedisHealth } from '../../redis/layer.js';
import type { RoutePlugin } from '../context.js';
import { apiPaths } from '../context.js';
import { errorResponses, noQuery, strictObject } from './schemas.js';

const STATUS_BY_STATE = {
  memory: 'healthy',
  ready: 'healthy',
  connecting: 'connecting',
  degraded: 'degraded',
} as const;

const nodeProperties = {
  address: { type: 'string' },
  role: { type: 'string' },
  healthy: { type: 'boolean' },
  latencyMs: { type: ['number', 'null'] },
  error: { type: ['string', 'null'] },
} as const;

const number = { type: 'number' } as const;
const integer = { type: 'integer' } as const;

const baseProperties = {
  type: { type: 'string' },
  distributed: { type: 'boolean' },
  status: { type: 'string', enum: ['healthy', 'connecting', 'degraded'] },
  totalNodes: integer,
  healthyNodes: integer,
  nodes: { type: 'array', items: strictObject(nodeProperties) },
  operations: strictObject({
    total: integer,
    successful: integer,
    failed: integer,
    timeouts: integer,
    rejected: integer,
    successRate: number,
    averageResponseTime: number,
    p99ResponseTime: number,
  }),
  connections: strictObject({ nodes: integer, reachable: integer, subscriptions: integer }),
} as const;

const healthSchema = strictObject(baseProperties);
const clusterSchema = strictObject({
  ...baseProperties,
  breaker: { type: 'string' },
  reason: { type: ['string', 'null'] },
  nodes: {
    type: 'array',
    items: strictObject({
      ...nodeProperties,
      operations: strictObject({
        total: integer,
        failed: integer,
        averageResponseTime: number,
        p99ResponseTime: number,
      }),
    }),
  },
});

/** GET /health/cache's document, as its schema says. */
export type CacheHealthBody = FromSchema<typeof healthSchema>;
/** GET /admin/cache/cluster's document: the health document with per-node operations, the breaker and why. */
export type CacheClusterBody = FromSchema<typeof clusterSchema>;

export const cacheRoutes: RoutePlugin = (scope, { plexus, requireAdmin }) => {
  const app = scope.withTypeProvider<JsonSchemaToTsProvider>();
  for (const url of apiPaths('/health/cache', '/api/health/cache')) {
    app.get(
      url,
      { schema: { querystring: noQuery, response: { 200: healthSchema, ...errorResponses } } },
      async () => cacheHealth(await plexus.redis.health()),
    );
  }
  for (const url of apiPaths('/admin/cache/cluster', '/api/admin/cache/cluster')) {
    app.get(
      url,
      {
        preHandler: requireAdmin,
        schema: { querystring: noQuery, response: { 200: clusterSchema, ...errorResponses } },
      },
      async () => cacheCluster(await plexus.redis.health()),
    );
  }
};

export function cacheHealth(health: RedisHealth): CacheHealthBody {
  const nodes = health.nodes.map((n) => ({
    address: n.address,
    role: n.role,
    healthy: n.reachable,
    latencyMs: n.latencyMs,
    error: n.error ?? null,
  }));
  const healthy = nodes.filter((n) => n.healthy).length;
  const s = health.stats;
  return {
    type:
      health.topology === 'memory'
        ? 'memory'
        : health.topology === 'rest'
          ? 'upstash-rest'
          : `redis-${health.topology}`,
    distributed: health.state === 'ready',
    status: STATUS_BY_STATE[health.state],
    totalNodes: nodes.length,
    healthyNodes: healthy,
    nodes,
    operations: {
      total: s.total,
      successful: s.successful,
      failed: s.failed,
      timeouts: s.timeouts,
      rejected: s.rejected,
      successRate: s.successRate,
      averageResponseTime: s.averageLatencyMs,
      p99ResponseTime: s.p99LatencyMs,
    },
    connections: { nodes: nodes.length, reachable: healthy, subscriptions: health.subscriptions },
  };
}

export function cacheCluster(health: RedisHealth): CacheClusterBody {
  const base = cacheHealth(health);
  return {
    ...base,
    breaker: health.breaker,
    reason: health.reason,
    nodes: base.nodes.map((node) => {
      const stats = health.stats.nodes[node.address];
      return {
        ...node,
        operations: {
          total: stats?.total ?? 0,
          failed: stats?.failed ?? 0,
          averageResponseTime: stats?.averageLatencyMs ?? 0,
          p99ResponseTime: stats?.p99LatencyMs ?? 0,
        },
      };
    }),
  };
}
