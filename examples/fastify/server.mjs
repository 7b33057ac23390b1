// An existing Fastify app that adds Plexus: shared sessions, a shared cache, the QR app's routes,
// and the status and health routes, on every instance you run. Settings come from the
// environment (REDIS_URL, DATABASE_URL, SESSION_SECRET, ...; see docs/configuration.md).
//
//   PORT=3001 REDIS_URL=redis://127.0.0.1:6379 node examples/fastify/server.mjs
import Fastify from 'fastify';
import { qrApp } from 'plexus/apps/qr';
import { plexusFastify } from 'plexus/fastify';

const app = Fastify();

// A route the app already had: untouched by Plexus.
app.get('/hello', async () => ({ hello: 'world' }));

// Plexus is created from the environment, started here, and closed when the app closes.
await app.register(plexusFastify, {
  plexus: { apps: [qrApp] },
  routes: ['status', 'health', 'auth'],
});

// The app's own routes, using Plexus: a notice set on one instance is read on every instance
// (each keeps an in-process copy, dropped everywhere when it changes), and the signed-in user.
const notices = app.plexus.cache.namespace('example');
app.put('/notice', async (request) => {
  await notices.set('notice', String(request.body?.text ?? ''), { ttl: '1h' });
  return { saved: true, instance: app.plexus.instanceId };
});
app.get('/notice', async () => ({
  text: (await notices.get('notice')) ?? null,
  instance: app.plexus.instanceId,
}));
app.get('/whoami', async (request) => {
  const session = await request.requireSession(); // 401 without a session
  return { login: session.record.user?.login ?? null };
});

const address = await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 3001) });
console.log(`example listening on ${address}`);
for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => app.close());
