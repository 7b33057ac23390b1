/**
 * `plexusFastify`: Plexus in any Fastify 5 application (`import { plexusFastify } from 'plexus/fastify'`).
 *
 *   await app.register(plexusFastify, { plexus: { apps: [qrApp] }, routes: ['status', 'health'] });
 *   app.get('/me', async (request) => (await request.requireSession()).record.user);
 *
 * Registered with fastify-plugin metadata, so what it adds reaches the registering scope:
 * - `fastify.plexus`, the Plexus instance (given, or created from options and then started here);
 * - sessions on every request (`request.loadSession()`, `requireSession()`, `reply.startSession()`);
 * - request metrics (counts, latency, errors) for the instance report and `/api/1/metrics`;
 * - in a scope of their own under `/api/1`: the core route groups asked for and every installed
 *   application's routes, with Plexus's validation and JSON error contract (the app's own routes
 *   keep the app's settings);
 * - optionally (`openapi: true`) the OpenAPI document and Swagger UI;
 * - `onClose`: Plexus closes with Fastify (unless `close: false`).
 * The reference server (src/server/app.ts) is this plugin with every route group.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { AnyAppDefinition } from '../application/definition.js';
import { appErrorStatuses } from '../application/install.js';
import { createPlexus, type Plexus, type PlexusOptions } from '../index.js';
import { httpMetrics } from '../metrics/http.js';
import { plexusSessions } from '../sessions/fastify.js';
import { adminSession, adminStrategies, assertAdminConfigured, createRequireAdmin } from './auth.js';
import type { Lifecycle, ServerContext } from './context.js';
import type { FastLane } from './fast-lane.js';
import { errorHandlerFor } from './http-errors.js';
import { registerOpenApi } from './openapi.js';
import { type ProcessInfo, processInfo } from './process-info.js';
import { CORE_ROUTE_GROUPS, type CoreRouteGroup, coreRoutes } from './routes/index.js';
import { formatSchemaErrors, validatorCompiler } from './validation.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The Plexus instance this application runs on (src/server/plugin.ts). */
    plexus: Plexus;
  }
}

export interface PlexusFastifyOptions {
  /** A Plexus instance (started by you), or the options to create one, which is then started here. */
  plexus: Plexus | PlexusOptions<readonly AnyAppDefinition[]>;
  /**
   * Core route groups to serve (src/server/routes/index.ts): `true` for all, or their names. Default
   * none. They live under /api/1, except `prometheus` (/metrics and /metrics/cluster, METRICS_PATH).
   */
  routes?: boolean | readonly CoreRouteGroup[];
  /** Serve the installed applications' routes. Default true. */
  appRoutes?: boolean;
  /**
   * Serve the OpenAPI document of every route at /api/1/openapi.json and Swagger UI at /api/docs
   * (src/server/openapi.ts); it covers the routes registered after the plugin. Default false.
   */
  openapi?: boolean;
  /** Send each request's id back in `X-Request-Id`. Default false (the reference server: true). */
  requestIdHeader?: boolean;
  /** Close Plexus when Fastify closes. Default true. */
  close?: boolean;
  /** Draining state the health route reports (the reference server's shutdown sets it). */
  lifecycle?: Lifecycle;
  /** What `/api/1/status` says about this process. Default: from `process`. */
  process?: ProcessInfo;
  /**
   * The lane in which hot routes answer their common case before Fastify routes the request
   * (src/server/fast-lane.ts). The server's request listener must offer each request to
   * `lane.answer()` first, as the reference server's does (src/server/app.ts); the plugin closes
   * the lane when Fastify starts closing. Default none: every request goes through Fastify.
   */
  fastLane?: FastLane;
}

function isPlexus(value: PlexusFastifyOptions['plexus']): value is Plexus {
  return 'installed' in value && 'start' in value;
}

async function plugin(app: FastifyInstance, options: PlexusFastifyOptions): Promise<void> {
  const created = !isPlexus(options.plexus);
  const plexus = isPlexus(options.plexus) ? options.plexus : createPlexus(options.plexus);
  if (created) await plexus.start();
  app.decorate('plexus', plexus);
  if (options.close ?? true) app.addHook('onClose', () => plexus.close());
  const lane = options.fastLane;
  // Closing: Fastify answers 503 and closes connections; the lane must not answer past it.
  if (lane !== undefined)
    app.addHook('preClose', (done) => {
      lane.close();
      done();
    });

  const groups =
    options.routes === true ? CORE_ROUTE_GROUPS : options.routes === false ? [] : (options.routes ?? []);
  const apps = (options.appRoutes ?? true) ? plexus.installed.filter((a) => a.definition.routes) : [];

  if (options.openapi === true) await registerOpenApi(app, plexus.config.sessions.cookieName);
  await app.register(httpMetrics(plexus.metrics, { requestIdHeader: options.requestIdHeader === true }));
  await app.register(plexusSessions, { sessions: plexus.auth.sessions, cookie: plexus.auth.cookie });
  if (groups.length === 0 && apps.length === 0) return;

  const strategies = adminStrategies(plexus.config);
  assertAdminConfigured(strategies, plexus.config);
  const context: ServerContext = {
    plexus,
    process: options.process ?? processInfo(plexus.instanceId),
    lifecycle: options.lifecycle ?? { draining: false },
    requireAdmin: createRequireAdmin([...strategies, adminSession(plexus.auth)]),
    fastLane: lane,
  };
  const statuses = appErrorStatuses(plexus.installed);
  await app.register(async (scope) => {
    scope.setValidatorCompiler(validatorCompiler());
    scope.setSchemaErrorFormatter(formatSchemaErrors);
    scope.setErrorHandler(errorHandlerFor(statuses));
    for (const group of groups) await scope.register(async (routes) => coreRoutes[group](routes, context));
    for (const { definition, instance } of apps) {
      await scope.register(async (routes) => definition.routes!(routes, context, instance.api));
    }
  });
}

export const plexusFastify = fp(plugin, { name: 'plexus', fastify: '5.x' });
