/**
 * The hello-app-cluster demonstration (seed 004, "Site Owner Integration"):
 *
 *   GET /hello-app-cluster                 the page (strict CSP, nothing from elsewhere)
 *   GET /hello-app-cluster/style.css       its styles (the realtime pages' stylesheet)
 *   GET /hello-app-cluster/js/<file>.js    its script (./browser/)
 *   GET /api/1/hello-app-cluster           { instance, value, version, updatedAt, updatedBy, viewer }
 *   GET /api/1/hello-app-cluster/events    the same as Server-Sent Events, once now and after
 *                                          every change anywhere in the cluster
 *
 * Changes go through the admin configuration route (PUT /api/1/admin/config/hello-app-cluster/
 * message with If-Match), so they are checked, versioned and broadcast like any other value.
 */
import type { FastifyInstance } from 'fastify';
import type { Plexus } from '../../../index.js';
import { SettingsError } from '../../../settings/errors.js';
import { apiPaths } from '../../context.js';
import { errorResponses, noQuery, strictObject } from '../../routes/schemas.js';
import { BrowserModules } from '../realtime/modules.js';
import { REALTIME_PAGES_CSP, secured, serveModules } from '../realtime/routes.js';
import { STYLE } from '../realtime/style.js';
import { HELLO_PATH, helloPage } from './html.js';
import { HelloLive, MAX_STREAMS } from './live.js';

const stateSchema = strictObject({
  instance: { type: 'string' },
  value: { type: 'string' },
  version: { type: 'integer', minimum: 0 },
  updatedAt: { type: ['string', 'null'] },
  updatedBy: { type: ['string', 'null'] },
});

/** The realtime pages' styles, and this page's few of its own. */
const HELLO_STYLE = `${STYLE}
[hidden] { display: none !important; }
.value { font-size: 1.5rem; font-weight: 600; margin: 0.25rem 0 0.75rem; overflow-wrap: anywhere; }
`;

const viewSchema = strictObject({
  ...stateSchema.properties,
  viewer: {
    description: 'Who is signed in on this browser (null: nobody), so the page knows which form to show',
    anyOf: [strictObject({ login: { type: 'string' }, admin: { type: 'boolean' } }), { type: 'null' }],
  },
});

export function helloAppClusterPage(plexus: Plexus) {
  return async (app: FastifyInstance): Promise<void> => {
    const live = new HelloLive(plexus.settings, plexus.instanceId);
    const scripts = new BrowserModules(new URL('./browser/', import.meta.url));
    const page = helloPage();
    live.start();
    // Streams never end by themselves: end them before the server waits for its connections.
    app.addHook('preClose', (done) => {
      live.stop();
      done();
    });

    for (const url of [HELLO_PATH, `${HELLO_PATH}/`]) {
      app.get(url, { schema: { hide: true, querystring: noQuery } }, (_request, reply) =>
        secured(reply, 'text/html; charset=utf-8').send(page),
      );
    }
    app.get(`${HELLO_PATH}/style.css`, { schema: { hide: true, querystring: noQuery } }, (_request, reply) =>
      secured(reply, 'text/css; charset=utf-8').send(HELLO_STYLE),
    );
    serveModules(app, `${HELLO_PATH}/js`, scripts);

    const [state] = apiPaths('/hello-app-cluster');
    app.get(
      state!,
      {
        schema: {
          summary: 'The hello-app-cluster demo value as this instance serves it',
          querystring: noQuery,
          response: { 200: viewSchema, ...errorResponses },
        },
      },
      async (request) => {
        const session = await request.loadSession().catch(() => null);
        const user = session?.user;
        const viewer =
          user == null
            ? null
            : { login: user.login ?? user.id, admin: user.roles?.includes('admin') === true };
        return { ...(await live.read()), viewer };
      },
    );
    app.get(
      `${state!}/events`,
      {
        schema: {
          summary: 'The demo value as Server-Sent Events (event `state`), now and after every change',
          querystring: noQuery,
          response: { ...errorResponses },
        },
      },
      async (request, reply) => {
        if (live.size >= MAX_STREAMS) {
          throw new SettingsError(
            'SETTINGS_STREAMS_FULL',
            'This instance has too many open streams; retry shortly',
          );
        }
        // The first read happens before the response is taken over, so a failure answers JSON.
        await live.read();
        reply.hijack();
        reply.raw.setHeader('content-security-policy', REALTIME_PAGES_CSP);
        await live.open(reply.raw, (gone) => request.raw.once('close', gone));
      },
    );
  };
}
