/**
 * GET /api/1/status (aliases /api/status and /healthz, Kubernetes' liveness probe): is this
 * process up, which worker answered, and is it sharing state through Redis. Answered from memory, without any I/O, so load balancers and
 * scripts may poll it freely. `redis.healthy` is true when the configured backend works as
 * configured (Redis reachable, or memory mode); `fallbackMode` is true whenever state is not shared.
 */
import type { FromSchema } from 'json-schema-to-ts';
import type { Plexus } from '../../index.js';
import { clusterReachable } from '../../redis/view.js';
import type { RoutePlugin } from '../context.js';
import { apiPaths } from '../context.js';
import type { ProcessInfo } from '../process-info.js';
import { errorResponses, noQuery, strictObject } from './schemas.js';

const statusSchema = strictObject({
  status: { type: 'string', enum: ['online'] },
  cluster: strictObject({
    isWorker: { type: 'boolean' },
    workerId: { type: 'string' },
    instanceId: { type: 'string' },
    pid: { type: 'integer' },
  }),
  redis: strictObject({
    connected: { type: 'boolean' },
    fallbackMode: { type: 'boolean' },
    healthy: { type: 'boolean' },
    topology: { type: 'string', enum: ['memory', 'single', 'sentinel', 'cluster', 'rest'] },
    state: { type: 'string', enum: ['memory', 'connecting', 'ready', 'degraded'] },
  }),
});

/** The status document, as its schema declares it. */
export type StatusBody = FromSchema<typeof statusSchema>;

export const statusRoutes: RoutePlugin = (app, { plexus, process }) => {
  for (const url of apiPaths('/status', '/api/status', '/healthz')) {
    app.get(
      url,
      { schema: { querystring: noQuery, response: { 200: statusSchema, ...errorResponses } } },
      async (): Promise<StatusBody> => statusBody(plexus, process),
    );
  }
};

/** The status document; also served by the Express handler (src/express/). */
export function statusBody(plexus: Plexus, process: ProcessInfo): StatusBody {
  const state = plexus.redis.state;
  return {
    status: 'online',
    cluster: process,
    redis: {
      connected: state === 'ready',
      fallbackMode: state !== 'ready',
      healthy: clusterReachable(plexus.redis),
      topology: plexus.redis.mode,
      state,
    },
  };
}
