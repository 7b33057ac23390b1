/**
 * The admin dashboard (src/dashboard/), for people who run the cluster:
 *
 *   GET  /admin                                           the page (a shell; no data), strict CSP
 *   GET  /admin/assets/dashboard.(js|css)                 its script and styles, built by `npm run build`
 *   GET  /api/1/admin/dashboard?since=<ms>                admin: servers → instances, the plots' buckets
 *                                                         from `since` on, the panels; ETag / 304
 *   GET  /api/1/admin/dashboard/session                   admin: how the caller is signed in, its CSRF token
 *   POST /api/1/admin/dashboard/panels/:panel/actions/:action   admin + CSRF: a panel's action
 *
 * Sign-in is an admin session (POST /api/1/auth/login) or PLEXUS_ADMIN_TOKEN as a bearer token.
 * The page polls the data route every second; the transport is the page's `Transport` seam.
 */
import { createHash } from 'node:crypto';
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import { type AssetName, loadAssets } from '../../dashboard/assets.js';
import { CsrfTokens } from '../../dashboard/csrf.js';
import { dashboardOf } from '../../dashboard/dashboard.js';
import { ASSETS_PATH, DASHBOARD_CSP, DASHBOARD_PATH, pageHtml } from '../../dashboard/page.js';
import { adminStrategies } from '../auth.js';
import type { RoutePlugin } from '../context.js';
import { apiPaths } from '../context.js';
import { errorResponses, noQuery, strictObject } from './schemas.js';

const open = { type: 'object', additionalProperties: true } as const;

const documentSchema = {
  type: 'object',
  description: 'The dashboard document (src/dashboard/document.ts)',
  additionalProperties: false,
  required: ['v', 'source', 'answeredBy', 'redisState', 'windowMs', 'stepMs', 'servers', 'plots', 'panels'],
  properties: {
    v: { type: 'integer', enum: [2] },
    source: { type: 'string', enum: ['cluster', 'local'] },
    answeredBy: { type: 'string' },
    redisState: { type: 'string' },
    windowMs: { type: 'integer' },
    stepMs: { type: 'integer' },
    servers: { type: 'array', items: open },
    plots: {
      type: 'object',
      additionalProperties: false,
      required: ['bucketMs', 'grouping', 'fields', 'across', 'since', 't', 'series'],
      properties: {
        bucketMs: { type: 'integer' },
        grouping: { type: 'string', enum: ['instance', 'server', 'cluster'] },
        fields: { type: 'array', items: { type: 'string' } },
        across: { type: 'array', items: { type: 'string', enum: ['sum', 'max', 'mean'] } },
        since: { type: 'integer' },
        t: { type: 'array', items: { type: 'integer' } },
        series: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['id', 'label', 'instances', 'values'],
            properties: {
              id: { type: 'string' },
              label: { type: 'string' },
              instances: { type: 'integer' },
              values: {
                type: 'array',
                items: { type: 'array', items: { type: ['number', 'null'] } },
              },
            },
          },
        },
      },
    },
    panels: { type: 'array', items: open },
  },
} as const;

const sessionSchema = strictObject({
  via: { type: 'string', enum: ['session', 'token'] },
  login: { type: ['string', 'null'] },
  csrfToken: { type: ['string', 'null'] },
});

export const dashboardRoutes: RoutePlugin = (scope, { plexus, requireAdmin }) => {
  const app = scope.withTypeProvider<JsonSchemaToTsProvider>();
  const dashboard = dashboardOf(plexus);
  const csrf = new CsrfTokens(plexus, adminStrategies(plexus.config));
  app.addHook('onReady', async () => dashboard.start());
  app.addHook('onClose', () => dashboard.stop());

  // Read when first asked, so that a server without a built page still starts (the page says why).
  let assets: ReturnType<typeof loadAssets> | undefined;
  const built = () => {
    assets ??= loadAssets();
    return assets;
  };

  app.get(DASHBOARD_PATH, { schema: { hide: true, querystring: noQuery } }, async (_request, reply) => {
    const a = built();
    return reply
      .header('content-security-policy', DASHBOARD_CSP)
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .type('text/html; charset=utf-8')
      .send(pageHtml({ js: a['dashboard.js'].etag, css: a['dashboard.css'].etag }));
  });

  for (const name of ['dashboard.js', 'dashboard.css'] as const satisfies readonly AssetName[]) {
    app.get(
      `${ASSETS_PATH}/${name}`,
      {
        schema: {
          hide: true,
          querystring: { type: 'object', additionalProperties: false, properties: { v: { type: 'string' } } },
        },
      },
      async (request, reply) => {
        const asset = built()[name];
        reply
          .header('etag', asset.etag)
          .header('cache-control', 'no-cache')
          .header('x-content-type-options', 'nosniff')
          .header('content-security-policy', DASHBOARD_CSP);
        if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
        return reply.type(asset.type).send(asset.body);
      },
    );
  }

  app.get(
    apiPaths('/admin/dashboard')[0]!,
    {
      preHandler: requireAdmin,
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { since: { type: 'integer', minimum: 0, default: 0 } },
        },
        // Passed as a plain object: the answer is serialised here (for its ETag), not by Fastify.
        response: { 200: documentSchema as object, ...errorResponses },
      },
    },
    async (request, reply) => {
      const body = JSON.stringify(await dashboard.document(request.query.since));
      const etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
      reply.header('etag', etag).header('cache-control', 'no-cache');
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      return reply.type('application/json; charset=utf-8').send(body);
    },
  );

  app.get(
    `${apiPaths('/admin/dashboard/session')[0]}`,
    {
      preHandler: requireAdmin,
      schema: { querystring: noQuery, response: { 200: sessionSchema, ...errorResponses } },
    },
    async (request) => {
      if (await csrf.byToken(request)) return { via: 'token' as const, login: null, csrfToken: null };
      const session = await request.loadSession();
      return {
        via: 'session' as const,
        login: session?.user?.login ?? null,
        csrfToken: csrf.forRequest(request),
      };
    },
  );

  app.post(
    `${apiPaths('/admin/dashboard/panels/:panel/actions/:action')[0]}`,
    {
      preHandler: [requireAdmin, csrf.check],
      bodyLimit: 4096,
      schema: {
        params: strictObject({
          panel: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,39}$' },
          action: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,39}$' },
        }),
        querystring: noQuery,
        body: strictObject({ value: { type: 'string', maxLength: 1000 } }),
        // A panel's view (src/dashboard/panels.ts PanelAnswer); panels add fields of their own.
        response: { 200: open as object, ...errorResponses },
      },
    },
    async (request) => dashboard.panels.act(request.params.panel, request.params.action, request.body.value),
  );
};
