/**
 * The core's route groups, by name, in registration order. A core module adds its routes as one
 * file in this folder exporting a `RoutePlugin`, and one entry here; applications bring theirs in
 * their definition (src/application/). The Fastify plugin serves the groups it is asked for.
 */
import type { RoutePlugin } from '../context.js';
import { authRoutes } from './auth.js';
import { cacheRoutes } from './cache.js';
import { cacheStatsRoutes } from './cache-stats.js';
import { dashboardRoutes } from './dashboard.js';
import { featuresRoutes } from './features.js';
import { healthRoutes } from './health.js';
import { jobsRoutes } from './jobs.js';
import { metricsRoutes } from './metrics.js';
import { prometheusRoutes } from './prometheus.js';
import { realtimeRoutes } from './realtime.js';
import { settingsRoutes } from './settings.js';
import { statusRoutes } from './status.js';

export const coreRoutes = {
  status: statusRoutes,
  health: healthRoutes,
  cache: cacheRoutes,
  'cache-stats': cacheStatsRoutes,
  auth: authRoutes,
  jobs: jobsRoutes,
  metrics: metricsRoutes,
  prometheus: prometheusRoutes,
  realtime: realtimeRoutes,
  settings: settingsRoutes,
  features: featuresRoutes,
  dashboard: dashboardRoutes,
} as const satisfies Record<string, RoutePlugin>;

export type CoreRouteGroup = keyof typeof coreRoutes;

export const CORE_ROUTE_GROUPS = Object.keys(coreRoutes) as CoreRouteGroup[];
