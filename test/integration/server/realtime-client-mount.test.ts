/**
 * The browser realtime client ships with the hub: a user's own Fastify app that registers the
 * plugin with the `realtime` route group serves `/realtime-client/<module>.js` (the path the
 * attendance and matchmaking pages import), and one without the group serves neither.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { plexusFastify } from '../../../src/server/plugin.js';

const env = { LOG_LEVEL: 'silent', PLEXUS_ADMIN_TOKEN: 'mount-test-admin-token-0123456789' };

describe('the realtime client mount', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('is served by the realtime route group in a plain Fastify app, as modules the browser can import', async () => {
    app = Fastify();
    await app.register(plexusFastify, { plexus: { env }, routes: ['realtime'] });
    const index = await app.inject({ url: '/realtime-client/index.js' });
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toContain('text/javascript');
    expect(index.body).toContain('createRealtimeClient');
    // Its relative imports resolve under the same path.
    const imports = [...index.body.matchAll(/from ["']\.\/([a-z0-9-]+\.js)["']/g)].map((m) => m[1]!);
    expect(imports.length).toBeGreaterThan(0);
    for (const name of imports)
      expect((await app.inject({ url: `/realtime-client/${name}` })).statusCode).toBe(200);
    expect((await app.inject({ url: '/realtime-client/nothing.js' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/realtime-client/..%2Fplugin.js' })).statusCode).toBe(404);
  });

  it('is absent without the realtime route group (no hub, no client)', async () => {
    app = Fastify();
    await app.register(plexusFastify, { plexus: { env }, routes: ['health'] });
    expect((await app.inject({ url: '/realtime-client/index.js' })).statusCode).toBe(404);
  });
});
