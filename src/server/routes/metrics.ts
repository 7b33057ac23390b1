/**
 * Cluster-wide metrics (admin: they name servers, versions and request paths, and errors carry
 * stack traces):
 * - GET /api/1/metrics: the seed-004 document — `statistics` (servers, instances by status,
 *   WebSocket totals and namespaces, totals by rule, custom counters) and `servers[]` with
 *   `instances[]`;
 * - GET /api/1/metrics/servers: the servers with their instances and per-server totals;
 * - GET /api/1/metrics/requests?minutes=5: request counts per minute by method, route and status;
 * - GET /api/1/metrics/errors/recent?count=10: the most recent server errors, newest first;
 * - GET /api/1/metrics/counters: the custom counters, summed over the cluster.
 * While Redis is down every answer holds this instance's figures with `singleInstance: true`.
 */
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import {
  countersDocumentSchema,
  errorsDocumentSchema,
  metricsDocumentSchema,
  requestsDocumentSchema,
  serversDocumentSchema,
} from '../../instances/schema.js';
import type { RoutePlugin } from '../context.js';
import { apiPaths } from '../context.js';
import { errorResponses, noQuery } from './schemas.js';

export const metricsRoutes: RoutePlugin = (scope, { plexus, requireAdmin }) => {
  const app = scope.withTypeProvider<JsonSchemaToTsProvider>();
  const { requestsRetentionMinutes, errorsKept } = plexus.config.instances;
  // The documents' schemas (src/instances/schema.ts) are built in part at run time, so no type can
  // be derived from them: each answer is typed by the module's own document type, and its schema
  // is passed as a plain `object` so that the type provider does not check the answer against it.
  // The query strings' types are inferred from `bounded` below.
  const plain = (body: object) => ({
    preHandler: requireAdmin,
    schema: { querystring: noQuery, response: { 200: body, ...errorResponses } },
  });

  for (const url of apiPaths('/metrics')) {
    app.get(url, plain(metricsDocumentSchema), () => plexus.instances.document());
  }
  for (const url of apiPaths('/metrics/servers')) {
    app.get(url, plain(serversDocumentSchema), () => plexus.instances.servers());
  }
  for (const url of apiPaths('/metrics/counters')) {
    app.get(url, plain(countersDocumentSchema), () => plexus.metrics.counters());
  }
  for (const url of apiPaths('/metrics/requests')) {
    app.get(
      url,
      {
        preHandler: requireAdmin,
        schema: {
          querystring: bounded('minutes', requestsRetentionMinutes, 5),
          response: { 200: requestsDocumentSchema as object, ...errorResponses },
        },
      },
      (request) => plexus.metrics.requests(request.query.minutes),
    );
  }
  for (const url of apiPaths('/metrics/errors/recent')) {
    app.get(
      url,
      {
        preHandler: requireAdmin,
        schema: {
          querystring: bounded('count', errorsKept, 10),
          response: { 200: errorsDocumentSchema as object, ...errorResponses },
        },
      },
      (request) => plexus.metrics.recentErrors(request.query.count),
    );
  }
};

/** A query string with one optional integer in [1, max]; with its default, the handler always has it. */
function bounded<const N extends string>(name: N, max: number, preferred: number) {
  const property = { type: 'integer', minimum: 1, maximum: max, default: Math.min(preferred, max) } as const;
  return {
    type: 'object',
    additionalProperties: false,
    properties: { [name]: property } as Record<N, typeof property>,
  } as const;
}
