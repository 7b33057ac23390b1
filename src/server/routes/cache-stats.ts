/**
 * GET /api/1/admin/cache/stats (alias /api/admin/cache/stats): admin; the shared cache's counters
 * per namespace — L1 hits, L2 hits, misses, loader calls, errors, stale values served, hit rate,
 * entries and bytes in L1 — for the instance that answered and, through Redis, for the whole
 * cluster (`cluster` is null in memory mode or while Redis is unavailable). Cluster totals lag by
 * at most CACHE_STATS_FLUSH_MS for other instances.
 */
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { CacheStats } from '../../cache/index.js';
import type { RoutePlugin } from '../context.js';
import { apiPaths } from '../context.js';
import { errorResponses, noQuery, strictObject } from './schemas.js';

const integer = { type: 'integer' } as const;
const number = { type: 'number' } as const;

const namespaceStats = strictObject({
  l1Hits: integer,
  l2Hits: integer,
  misses: integer,
  coalesced: integer,
  loaderCalls: integer,
  loaderErrors: integer,
  l2Errors: integer,
  staleServed: integer,
  sets: integer,
  deletes: integer,
  errors: integer,
  hitRate: number,
  l1Entries: integer,
  l1Bytes: integer,
});

const byNamespace = { type: 'object', additionalProperties: namespaceStats } as const;

const statsSchema = strictObject({
  instance: strictObject({
    instanceId: { type: 'string' },
    mode: { type: 'string', enum: ['redis', 'l1-only'] },
    totals: namespaceStats,
    namespaces: byNamespace,
    l1: strictObject({ entries: integer, bytes: integer, maxEntries: integer, maxBytes: integer }),
    invalidation: strictObject({
      published: integer,
      received: integer,
      lagP50Ms: { type: ['number', 'null'] },
      lagP99Ms: { type: ['number', 'null'] },
    }),
  }),
  cluster: {
    ...strictObject({ instances: integer, totals: namespaceStats, namespaces: byNamespace }),
    type: ['object', 'null'],
  },
});

export const cacheStatsRoutes: RoutePlugin = (scope, { plexus, requireAdmin }) => {
  const app = scope.withTypeProvider<JsonSchemaToTsProvider>();
  for (const url of apiPaths('/admin/cache/stats', '/api/admin/cache/stats')) {
    app.get(
      url,
      {
        preHandler: requireAdmin,
        schema: { querystring: noQuery, response: { 200: statsSchema, ...errorResponses } },
      },
      (): Promise<CacheStats> => plexus.cache.stats(),
    );
  }
};
