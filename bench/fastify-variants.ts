/**
 * Issue 19's decomposition: the peers' bare Fastify route (`GET /hello`, `async () => ({ ok: true })`)
 * with Plexus's server settings added one group at a time, so that the CPU per request each group
 * costs can be measured apart from Plexus itself. VARIANT is a comma-separated list of:
 *   timeouts  Plexus's `http` timeouts, `requestTimeout` and 500 ms connection check (src/server/app.ts)
 *   misc      a `genReqId` like Plexus's, `trustProxy`, `return503OnClosing`, `forceCloseConnections: 'idle'`
 *   hooks     an `onRequest` hook setting `x-request-id`, an `onSend` and an `onResponse` hook
 *   big       a synchronous handler returning a body the size of `/api/1/auth/me`'s (307 bytes)
 * Usage: VARIANT=timeouts,misc,hooks,big node --import tsx bench/fastify-variants.ts <port>
 * Measure the server's CPU per request with /proc or `perf stat -e task-clock -p <pid>` around an
 * autocannon run (docs/benchmarks.md, "Real CPU against the sampled profile").
 */
import type { Server } from 'node:http';
import Fastify, { type FastifyHttpOptions } from 'fastify';

const variant = new Set((process.env.VARIANT ?? '').split(',').filter(Boolean));
const options: FastifyHttpOptions<Server> = { logger: false };
if (variant.has('timeouts')) {
  options.http = { requireHostHeader: false, headersTimeout: 10_000, connectionsCheckingInterval: 500 };
  options.requestTimeout = 30_000;
}
if (variant.has('misc')) {
  const wellFormed = /^[A-Za-z0-9._:@/+=-]{1,128}$/;
  let counter = 0;
  options.trustProxy = false;
  options.return503OnClosing = true;
  options.forceCloseConnections = 'idle';
  options.genReqId = (request) => {
    const given = request.headers['x-request-id'];
    if (typeof given === 'string' && wellFormed.test(given)) return given;
    counter++;
    return `vm-1-abcdef-${counter.toString(36)}`;
  };
}
const app = Fastify(options);
if (variant.has('hooks')) {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  app.addHook('onSend', (_request, _reply, payload, done) => done(null, payload));
  app.addHook('onResponse', (_request, _reply, done) => done());
}
const me = {
  user: { id: 'ff07d2da-3d3d-4337-bb55-e233ca5c7b61', login: 'peer@example.com', roles: ['staff'] },
  session: {
    id: 'whcr_kBsX9r3YmuOLrCC-w',
    current: true,
    device: 'curl/7.88.1',
    ip: '127.0.0.1',
    createdAt: '2026-12-04T03:18:02.827Z',
    lastSeenAt: '2026-12-04T03:18:02.827Z',
    expiresAt: '2026-12-05T03:18:02.827Z',
  },
};
if (variant.has('big')) app.get('/hello', () => me);
else app.get('/hello', async () => ({ ok: true }));
await app.listen({ port: Number(process.argv[2] ?? 3998), host: '127.0.0.1' });
