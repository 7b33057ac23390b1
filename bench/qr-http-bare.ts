/**
 * Baseline for bench/qr-http.ts: a bare Fastify server (no logger, no schema, no plugins) answering
 * GET /bare/:id.png with one fixed PNG of the same size as a cached QR image.
 * Usage: node --import tsx bench/qr-http-bare.ts <port>
 */
import Fastify from 'fastify';
import { renderImage } from '../src/apps/qr/image/render.js';

const port = Number(process.argv[2] ?? 3998);
const { body } = renderImage('CQAQD4OBAE7RZT3VUAGF4WOXVAPK6', { format: 'png', size: 300, margin: 4 }, 'M');
const app = Fastify({ logger: false });
app.get('/bare/:id.png', async (_request, reply) => reply.type('image/png').send(body));
await app.listen({ host: '127.0.0.1', port, backlog: 8192 });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
