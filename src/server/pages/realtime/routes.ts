/**
 * The realtime demo pages of the reference server (one per demo endpoint, src/realtime/demos.ts)
 * and the ES modules they load: `/realtime/` (index), `/realtime/<endpoint>`, `/realtime/style.css`,
 * `/realtime/js/<page>.js`. The realtime client they import (`/realtime-client/<module>.js`) is
 * served with the hub by the `realtime` route group (src/server/routes/realtime.ts). Every
 * response carries a strict Content-Security-Policy: scripts, styles and WebSocket connections
 * only from this server, nothing inline.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { DEMOS, demoPage, indexPage } from './html.js';
import { BrowserModules } from './modules.js';
import { STYLE } from './style.js';

export const REALTIME_PAGES_CSP =
  "default-src 'none'; base-uri 'none'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; " +
  "img-src 'self' data:; script-src 'self'; style-src 'self'";

const fileParams = {
  type: 'object',
  additionalProperties: false,
  required: ['file'],
  properties: { file: { type: 'string', maxLength: 64 } },
} as const;

/** GET `<prefix>/:file`: the browser modules of `modules`, under the pages' CSP (404 for any other name). */
export function serveModules(app: FastifyInstance, prefix: string, modules: BrowserModules): void {
  app.get<{ Params: { file: string } }>(
    `${prefix}/:file`,
    { schema: { hide: true, params: fileParams } },
    async (request, reply) => {
      const source = modules.source(request.params.file);
      if (source === undefined) return reply.callNotFound();
      return secured(reply, 'text/javascript; charset=utf-8').send(await source);
    },
  );
}

export function secured(reply: FastifyReply, type: string): FastifyReply {
  return reply
    .header('content-security-policy', REALTIME_PAGES_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-cache')
    .type(type);
}

export async function realtimePages(app: FastifyInstance): Promise<void> {
  const scripts = new BrowserModules(new URL('./browser/', import.meta.url));
  const pages = new Map(DEMOS.map((demo) => [demo.endpoint, demoPage(demo)]));
  const index = indexPage();

  for (const url of ['/realtime', '/realtime/']) {
    app.get(url, { schema: { hide: true } }, (_request, reply) =>
      secured(reply, 'text/html; charset=utf-8').send(index),
    );
  }
  app.get('/realtime/style.css', { schema: { hide: true } }, (_request, reply) =>
    secured(reply, 'text/css; charset=utf-8').send(STYLE),
  );
  app.get<{ Params: { page: string } }>(
    '/realtime/:page',
    {
      schema: {
        hide: true,
        params: {
          type: 'object',
          additionalProperties: false,
          required: ['page'],
          properties: { page: { type: 'string', maxLength: 64 } },
        },
      },
    },
    (request, reply) => {
      const page = pages.get(request.params.page);
      if (page === undefined) return reply.callNotFound();
      return secured(reply, 'text/html; charset=utf-8').send(page);
    },
  );
  serveModules(app, '/realtime/js', scripts);
}
