/**
 * The OpenAPI 3.1 document of every route, generated from the route schemas by @fastify/swagger,
 * served at `/api/1/openapi.json` and rendered by Swagger UI at `/api/docs` (its assets are served
 * from the package: the page loads nothing from elsewhere, and a strict CSP says so). Registered
 * before any route, so that it sees every route added afterwards, the host app's included.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { packageVersion } from '../version.js';
import { API_PREFIX } from './context.js';

export const OPENAPI_PATH = `${API_PREFIX}/openapi.json`;
export const DOCS_PATH = '/api/docs';

// Swagger UI sets inline styles as it renders (test/browser/api-docs.test.ts sees it refused
// otherwise); scripts stay limited to the server's own files.
const STRICT_CSP =
  "default-src 'self'; base-uri 'self'; font-src 'self' data:; frame-ancestors 'self'; img-src 'self' data:; " +
  "object-src 'none'; script-src 'self'; script-src-attr 'none'; style-src 'self' 'unsafe-inline'";

export async function registerOpenApi(app: FastifyInstance, sessionCookie: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Plexus',
        version: packageVersion(),
        description: 'Errors are `{ "error": { "code", "message", "requestId" } }` with a stable code.',
      },
      components: {
        securitySchemes: {
          adminToken: { type: 'http', scheme: 'bearer', description: 'PLEXUS_ADMIN_TOKEN' },
          session: { type: 'apiKey', in: 'cookie', name: sessionCookie },
        },
      },
    },
  });
  await app.register(swaggerUi, {
    routePrefix: DOCS_PATH,
    staticCSP: true,
    // The plugin's policy allows fonts, styles and an image host from elsewhere; nothing here needs them.
    transformStaticCSP: () => STRICT_CSP,
    uiConfig: { validatorUrl: null },
  });
  app.get(OPENAPI_PATH, { schema: { hide: true } }, async () => app.swagger());
}
