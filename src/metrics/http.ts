/**
 * The Fastify plugin that feeds HTTP figures into the instance report and the cluster metrics:
 * open connections, requests in flight, per-minute counts by method, route pattern and status,
 * latency, and server errors with their request context. Registered once on the root instance
 * (fastify-plugin: not encapsulated), so it sees every route. Counting is a few map updates per request;
 * nothing touches Redis on the request path.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type { Metrics } from './metrics.js';

const UNMATCHED = '(unmatched)';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by onError so onResponse can report what failed; undefined for most requests. */
    plexusFailure: Error | undefined;
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
      const route = request.routeOptions.url ?? UNMATCHED;
      const status = reply.statusCode;
      metrics.requestFinished({ method: request.method, route, status, durationMs: reply.elapsedTime });
      if (status >= 500) {
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
