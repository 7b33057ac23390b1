/**
 * Every route plugin of the reference server, in registration order. A module adds its routes as
 * one file in this folder exporting a `RoutePlugin`, and one line in this list.
 */
import { qrRoutes } from '../../apps/qr/routes.js';
import type { RoutePlugin } from '../context.js';
import { authRoutes } from './auth.js';
import { cacheRoutes } from './cache.js';
import { cacheStatsRoutes } from './cache-stats.js';
import { healthRoutes } from './health.js';
import { jobsRoutes } from './jobs.js';
import { metricsRoutes } from './metrics.js';
import { statusRoutes } from './status.js';

export const routePlugins: readonly RoutePlugin[] = [
  statusRoutes,
  healthRoutes,
  cacheRoutes,
  cacheStatsRoutes,
  authRoutes,
  jobsRoutes,
  metricsRoutes,
  qrRoutes,
];
