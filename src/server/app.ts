/**
 * Composes the Fastify application: strict validation, the JSON error contract, admin
 * authorisation, and every route plugin in its own encapsulated scope.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Plexus } from '../index.js';
import { httpMetrics } from '../metrics/http.js';
import { adminSession, adminStrategies, assertAdminConfigured, createRequireAdmin } from './auth.js';
import type { Lifecycle, RoutePlugin, ServerContext } from './context.js';
import { clientErrorHandler, errorHandler, notFoundHandler } from './http-errors.js';
import { type ProcessInfo, processInfo } from './process-info.js';
import { routePlugins } from './routes/index.js';
import { formatSchemaErrors, schemaController } from './validation.js';

export interface AppOptions {
  /** A pino logger; without one the application logs nothing. */
  logger?: FastifyBaseLogger;
  /** Route plugins to register (default: every plugin in src/server/routes/index.ts). */
  routes?: readonly RoutePlugin[];
  process?: ProcessInfo;
}

export interface MutableLifecycle extends Lifecycle {
  draining: boolean;
}

export function buildApp(
  plexus: Plexus,
  options: AppOptions = {},
): { app: FastifyInstance; lifecycle: MutableLifecycle } {
  const config = plexus.config.server;
  const strategies = adminStrategies(plexus.config);
  assertAdminConfigured(strategies, plexus.config);

  const app = Fastify({
    ...(options.logger === undefined ? { logger: false } : { loggerInstance: options.logger }),
    logController: new LogController({ disableRequestLogging: !config.logRequests }),
    bodyLimit: config.bodyLimit,
    trustProxy: config.trustProxy,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    schemaController: schemaController(),
    schemaErrorFormatter: formatSchemaErrors,
    frameworkErrors: (error, request, reply) => errorHandler(error, request, reply),
    clientErrorHandler,
  }) as unknown as FastifyInstance;
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);

  const lifecycle: MutableLifecycle = { draining: false };
  const context: ServerContext = {
    plexus,
    process: options.process ?? processInfo(plexus.instanceId),
    lifecycle,
    requireAdmin: createRequireAdmin([...strategies, adminSession(plexus.auth)]),
  };
  // Request counts, latency and server errors of every route, for the instance report and metrics.
  void app.register(httpMetrics(plexus.metrics));
  for (const plugin of options.routes ?? routePlugins) {
    void app.register(async (scope) => plugin(scope, context));
  }
  return { app, lifecycle };
}
