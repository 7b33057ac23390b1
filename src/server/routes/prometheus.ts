/**
 * The Prometheus exposition (src/prometheus/), text format 0.0.4:
 * - GET <METRICS_PATH> (default /metrics): this instance's figures;
 * - GET <METRICS_PATH>/cluster: every live instance's, labelled `instance` (this one's only, and
 *   said so, while Redis is down).
 * Readable with METRICS_TOKEN or PLEXUS_ADMIN_TOKEN (src/server/auth.ts createRequireMetrics).
 * With METRICS_PORT set they are served on that port only, by a listener of their own opened
 * when the application is ready and closed with it, so they stay off the public port.
 */
import Fastify, { type FastifyInstance, type preHandlerAsyncHookHandler } from 'fastify';
import { CONTENT_TYPE, PrometheusExporter } from '../../prometheus/index.js';
import { createRequireMetrics } from '../auth.js';
import type { RoutePlugin } from '../context.js';
import { errorHandlerFor, notFoundHandler } from '../http-errors.js';
import { errorResponses, noQuery } from './schemas.js';

const exposition = {
  type: 'string',
  description: 'Prometheus text exposition format 0.0.4',
} as const;

export const prometheusRoutes: RoutePlugin = (app, { plexus }) => {
  const config = plexus.config.prometheus;
  const access = createRequireMetrics(plexus.config, plexus.logger);
  const exporter = new PrometheusExporter(plexus);
  exporter.start();
  app.addHook('onClose', () => exporter.stop());
  if (config.port === undefined) {
    addRoutes(app, exporter, access, config.path);
    return;
  }
  const server = Fastify({ logger: false }) as unknown as FastifyInstance;
  server.setErrorHandler(errorHandlerFor({}));
  server.setNotFoundHandler(notFoundHandler);
  addRoutes(server, exporter, access, config.path);
  const { port } = config;
  const host = config.host ?? plexus.config.server.host;
  app.addHook('onReady', async () => {
    const url = await server.listen({ host, port });
    plexus.logger.info({ url: `${url}${config.path}` }, 'Prometheus exposition listening');
  });
  app.addHook('onClose', () => server.close());
};

function addRoutes(
  app: FastifyInstance,
  exporter: PrometheusExporter,
  access: preHandlerAsyncHookHandler | undefined,
  path: string,
): void {
  const options = {
    ...(access === undefined ? {} : { preHandler: access }),
    schema: { querystring: noQuery, response: { 200: exposition, ...errorResponses } },
  };
  app.get(path, options, async (_request, reply) => reply.type(CONTENT_TYPE).send(await exporter.text()));
  app.get(`${path}/cluster`, options, async (_request, reply) =>
    reply.type(CONTENT_TYPE).send(await exporter.clusterText()),
  );
}
