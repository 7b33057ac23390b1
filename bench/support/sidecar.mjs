/**
 * Preload (`node --import ./bench/support/sidecar.mjs bin/plexus.js start`) that also serves the
 * peers' bare Fastify route (`GET /hello`, `async () => ({ ok: true })`, no logger, no plugins) on
 * SIDECAR_PORT from inside the same process. Used by bench/process-tax.sh: the bare route's CPU per
 * request inside a running Plexus, against the same route in a process of its own, is what the
 * process itself (background jobs, its heap and garbage collection, timers) costs each request,
 * apart from the per-request work of Plexus's routes.
 */
import Fastify from 'fastify';

const port = Number(process.env.SIDECAR_PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error('sidecar.mjs: set SIDECAR_PORT');
const app = Fastify({ logger: false });
app.get('/hello', async () => ({ ok: true }));
await app.listen({ port, host: '127.0.0.1' });
