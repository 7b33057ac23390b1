// An existing Express app that adds Plexus: its sessions live in Redis (shared by every instance,
// with logout-all), and Plexus's status and health documents are served at /status and /health.
//
//   PORT=3002 REDIS_URL=redis://127.0.0.1:6379 SESSION_SECRET=... node examples/express/server.mjs
import express from 'express';
import session from 'express-session';
import { createPlexus } from 'plexus';
import { PlexusSessionStore, plexusHealthHandler, plexusStatusHandler } from 'plexus/express';

const plexus = createPlexus();
await plexus.start();

const app = express();
app.use(
  session({
    store: new PlexusSessionStore(plexus.sessions),
    secret: process.env.SESSION_SECRET ?? 'development-only-secret-change-me',
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax' },
  }),
);
app.get('/status', plexusStatusHandler(plexus));
app.get('/health', plexusHealthHandler(plexus));

// A per-visitor counter: it keeps counting whichever instance the request lands on.
app.post('/visits', (request, response) => {
  request.session.visits = (request.session.visits ?? 0) + 1;
  response.json({ visits: request.session.visits, instance: plexus.instanceId });
});

const server = app.listen(Number(process.env.PORT ?? 3002), '127.0.0.1', () => {
  console.log(`example listening on http://127.0.0.1:${server.address().port}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => server.close(() => plexus.close()));
}
