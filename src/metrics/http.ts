/**
 * The Fastify plugin that feeds HTTP figures into the instance report and the cluster metrics:
 * open connections, requests in flight, per-minute counts by method, route pattern and status,
 * latency, and server errors with their request context. Registered once on the root instance
 * (fastify-plugin: not encapsulated), so it sees every route. Counting is a few map updates per request;
 * nothing touches Redis on the request path.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Metrics } from './metrics.js';
import type { RouteRecorder } from './route-recorder.js';

const UNMATCHED = '(unmatched)';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by onError so onResponse can report what failed; undefined for most requests. */
    plexusFailure: Error | undefined;
    /** The recorder of the matched route, set before its handler runs; unset for a 404. */
    plexusRoute: RouteRecorder | undefined;
  }
}

export interface HttpMetricsOptions {
  /** Also send each request's id back in `X-Request-Id` (from the same hook: one hook less per request). */
  requestIdHeader?: boolean;
}

export function httpMetrics(metrics: Metrics, options: HttpMetricsOptions = {}): FastifyPluginAsync {
  const plugin: FastifyPluginAsync = async (app: FastifyInstance) => {
    app.server.on('connection', (socket) => {
      metrics.connectionOpened();
      socket.once('close', () => metrics.connectionClosed());
    });

    // Hot path: callback hooks (no promise per request), a request property rather than a
    // WeakMap (which costs the garbage collector per request), and Fastify's own start time
    // (`reply.elapsedTime`) rather than a second clock reading of ours.
    app.decorateRequest('plexusFailure', undefined);
    app.decorateRequest('plexusRoute', undefined);

    // Each route gets its recorder when it is registered, and a handler that hands it to the
    // request before calling the route's own: the response hook then needs no
    // `request.routeOptions` (an object built on every read) and no string per request, and no
    // route pays a hook of its own for it (a call costs less than a pass through Fastify's hook
    // runner). A request answered before its handler ran (a hook or a preHandler replied,
    // validation failed: refusals, draining) is attributed the slow way, from `routeOptions`,
    // with its recorder made once.
    const late = new Map<string, RouteRecorder>();
    const recorderOf = (request: FastifyRequest): RouteRecorder => {
      const route = request.routeOptions.url ?? UNMATCHED;
      let recorder = late.get(route);
      if (recorder === undefined) {
        recorder = metrics.route(route);
        if (late.size < 1000) late.set(route, recorder);
      }
      return recorder;
    };
    app.addHook('onRoute', (route) => {
      const recorder = metrics.route(route.url ?? route.path);
      const handler = route.handler;
      route.handler = function recorded(this: FastifyInstance, request, reply) {
        request.plexusRoute = recorder;
        return handler.call(this, request, reply);
      };
    });

    app.addHook(
      'onRequest',
      options.requestIdHeader === true
        ? (request, reply, done) => {
            metrics.requestStarted();
            reply.header('x-request-id', request.id);
            done();
          }
        : (_request, _reply, done) => {
            metrics.requestStarted();
            done();
          },
    );

    app.addHook('onError', (request, _reply, error, done) => {
      request.plexusFailure = error;
      done();
    });

    app.addHook('onResponse', (request, reply, done) => {
      const recorder = request.plexusRoute ?? recorderOf(request);
      const status = reply.statusCode;
      recorder.finished(request.method, status, reply.elapsedTime);
      if (status >= 500) {
        const route = recorder.route;
        metrics.recordError(request.plexusFailure ?? new Error(`HTTP ${status}`), {
          method: request.method,
          url: request.url,
          route,
          requestId: request.id,
          statusCode: status,
        });
      }
      done();
    });
  };
  return fp(plugin, { name: 'plexus-request-metrics', fastify: '5.x' });
}
