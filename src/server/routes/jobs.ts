/**
 * GET /api/1/jobs (admin): every scheduled job of the cluster — its schedule, what it does while
 * Redis is down (`whenRedisDown`), the leader, the last run (instance, start, duration, outcome,
 * error), run and failure totals, and this instance's own view (leading, running, skipped ticks).
 * Jobs declared only on other instances are listed from the cluster index with `schedule: null`.
 */
import { jobStatusSchema } from '../../jobs/schema.js';
import type { RoutePlugin } from '../context.js';
import { apiPaths } from '../context.js';
import { errorResponses, noQuery, strictObject } from './schemas.js';

export const jobsRoutes: RoutePlugin = (app, { plexus, requireAdmin }) => {
  for (const url of apiPaths('/jobs')) {
    app.get(
      url,
      {
        preHandler: requireAdmin,
        schema: {
          querystring: noQuery,
          response: {
            200: strictObject({ jobs: { type: 'array', items: jobStatusSchema } }),
            ...errorResponses,
          },
        },
      },
      async () => ({ jobs: await plexus.jobs.list() }),
    );
  }
};
