/**
 * The reference server's Fastify application: the Plexus Fastify plugin (src/server/plugin.ts) with
 * every core route group and every installed application's routes, on a Fastify instance
 * configured for serving the public internet: the JSON error contract everywhere (malformed HTTP,
 * unknown routes, framework errors), request ids unique across the cluster (src/server/
 * request-context.ts), body limit, proxy trust, connections closed on shutdown.
 */
import { createServer, type IncomingMessage, type ServerOptions } from 'node:http';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerFactory,
  LogController,
} from 'fastify';
import { appErrorStatuses } from '../application/install.js';
import type { Plexus } from '../index.js';
import { defineDemoEndpoints } from '../realtime/demos.js';
import { adminStrategies, assertAdminConfigured } from './auth.js';
import type { Lifecycle } from './context.js';
import { FastLane } from './fast-lane.js';
import {
  clientErrorHandler,
  errorHandlerFor,
  expectationFailed,
  lacksHost,
  missingHost,
  notFoundHandler,
} from './http-errors.js';
import { helloAppClusterPage } from './pages/hello-app-cluster/routes.js';
import { realtimePages } from './pages/realtime/routes.js';
import { plexusFastify } from './plugin.js';
import type { ProcessInfo } from './process-info.js';
import { requestIdGenerator, withLazyRequestLoggers } from './request-context.js';
import type { CoreRouteGroup } from './routes/index.js';

/** How often Node looks for connections past their header or request timeout. */
const CONNECTIONS_CHECK_MS = 500;

export interface AppOptions {
  /** A pino logger; without one the application logs nothing. */
  logger?: FastifyBaseLogger;
  /** Core route groups to serve (default: all of them, src/server/routes/index.ts). */
  routes?: readonly CoreRouteGroup[];
  process?: ProcessInfo;
}

export interface MutableLifecycle extends Lifecycle {
  draining: boolean;
}

export function buildApp(
  plexus: Plexus,
  options: AppOptions = {},
): { app: FastifyInstance; lifecycle: MutableLifecycle; fastLane: FastLane | undefined } {
  const config = plexus.config.server;
  // Checked here too (the plugin checks when it registers) so that a bad setup fails at construction.
  assertAdminConfigured(adminStrategies(plexus.config), plexus.config);
  const errorHandler = errorHandlerFor(appErrorStatuses(plexus.installed));
  const genReqId = requestIdGenerator(plexus.instanceId);
  // Request logging is Fastify's: with it on, every request goes through Fastify.
  const lane =
    config.fastLane && !config.logRequests
      ? new FastLane({ metrics: plexus.metrics, requestId: genReqId, requestIdHeader: true })
      : undefined;
  const app = Fastify({
    ...(options.logger === undefined
      ? { logger: false }
      : { loggerInstance: withLazyRequestLoggers(options.logger) }),
    logController: new LogController({ disableRequestLogging: !config.logRequests }),
    bodyLimit: config.bodyLimit,
    // Node answers these itself, outside Fastify: a missing Host header with an empty 400 (so the
    // check moves to the server's request listener, serverWithHostCheck), an unknown Expect with
    // an empty 417 (answered by the checkExpectation listener below instead). Timeouts are checked
    // every CONNECTIONS_CHECK_MS rather than Node's 30 s, so a slow client is cut close to its
    // deadline.
    serverFactory: serverWithHostCheck(genReqId, lane),
    http: {
      requireHostHeader: false,
      headersTimeout: Math.min(config.headersTimeoutMs, config.requestTimeoutMs),
      connectionsCheckingInterval: CONNECTIONS_CHECK_MS,
    },
    requestTimeout: config.requestTimeoutMs,
    trustProxy: config.trustProxy,
    return503OnClosing: true,
    genReqId,
    forceCloseConnections: 'idle',
    frameworkErrors: (error, request, reply) => errorHandler(error, request, reply),
    clientErrorHandler,
  }) as unknown as FastifyInstance;
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  app.server.on('checkExpectation', expectationFailed);

  const lifecycle: MutableLifecycle = { draining: false };
  // The seed's WebSocket endpoints, as demos of the realtime hub (src/realtime/demos.ts).
  defineDemoEndpoints(plexus.realtime);
  void app.register(plexusFastify, {
    plexus,
    routes: options.routes ?? true,
    openapi: true,
    requestIdHeader: true,
    // The reference server's shutdown closes Plexus itself, after draining (src/server/shutdown.ts).
    close: false,
    lifecycle,
    ...(options.process === undefined ? {} : { process: options.process }),
    ...(lane === undefined ? {} : { fastLane: lane }),
  });
  // The demo endpoints' pages and the realtime client they load (src/server/pages/realtime/).
  void app.register(realtimePages);
  // Seed 004's hello-app-cluster: a setting changed on one instance, live on every page.
  void app.register(helloAppClusterPage(plexus));
  return { app, lifecycle, fastLane: lane };
}

interface FastifyServerOptions {
  http?: ServerOptions;
  keepAliveTimeout?: number;
  requestTimeout?: number;
  connectionTimeout?: number;
}

/**
 * The HTTP server Fastify would make (its `http` options, keep-alive, request and connection
 * timeouts), whose request listener first answers an HTTP/1.1 request without Host with a JSON
 * 400 (`missingHost`): one property read per request, where an `onRequest` hook would cost each a
 * pass through Fastify's hook runner. Then the fast lane, when there is one, may answer the request
 * (src/server/fast-lane.ts); what it does not answer goes to Fastify.
 */
function serverWithHostCheck(
  genReqId: (request: IncomingMessage) => string,
  lane: FastLane | undefined,
): FastifyServerFactory {
  return (handler, given) => {
    // Fastify's own options after its defaults, as it would read them for its own server.
    const options = given as FastifyServerOptions;
    const server = createServer(options.http ?? {}, (request, response) => {
      if (lacksHost(request)) missingHost(request, response, genReqId(request));
      else if (lane === undefined || !lane.answer(request, response)) handler(request, response);
    });
    if (options.keepAliveTimeout !== undefined) server.keepAliveTimeout = options.keepAliveTimeout;
    if (options.requestTimeout !== undefined) server.requestTimeout = options.requestTimeout;
    if (options.connectionTimeout !== undefined) server.setTimeout(options.connectionTimeout);
    return server;
  };
}
