/**
 * The Fastify plugin that feeds HTTP figures into the instance report and the cluster metrics:
 * open connections, requests in flight, per-minute counts by method, route pattern and status,
 * latency, and server errors with their request context. Registered once on the root instance
 * (it is not encapsulated), so it sees every route. Counting is a few map updates per request;
 * nothing touches Redis on the request path.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Metrics } from './metrics.js';

const UNMATCHED = '(unmatched)';

export function httpMetrics(metrics: Metrics): FastifyPluginAsync {
  const started = new WeakMap<FastifyRequest, number>();
  const failures = new WeakMap<FastifyRequest, Error>();

  const plugin: FastifyPluginAsync = async (app: FastifyInstance) => {
    app.server.on('connection', (socket) => {
      metrics.connectionOpened();
      socket.once('close', () => metrics.connectionClosed());
    });

    app.addHook('onRequest', async (request) => {
      started.set(request, performance.now());
      metrics.requestStarted();
    });

    app.addHook('onError', async (request, _reply, error) => {
      failures.set(request, error);
    });

    app.addHook('onResponse', async (request, reply) => {
      const start = started.get(request);
      if (start === undefined) return;
      const route = request.routeOptions.url ?? UNMATCHED;
      const status = reply.statusCode;
      metrics.requestFinished({
        method: request.method,
        route,
        status,
        durationMs: performance.now() - start,
      });
      if (status >= 500) {
        const error = failures.get(request) ?? new Error(`HTTP ${status}`);
        metrics.recordError(error, {
          method: request.method,
          url: request.url,
          route,
          requestId: request.id,
          statusCode: status,
        });
      }
    });
  };
  // Like fastify-plugin: the hooks apply to the whole application, not only to a child scope.
  Object.assign(plugin, { [Symbol.for('skip-override')]: true });
  return plugin;
}
