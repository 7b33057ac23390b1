/**
 * Baseline for bench/server-status.ts: a bare Fastify server (no logger, no schema, no plugins)
 * answering GET /bare with a literal of the same shape and size as /api/1/status.
 * Usage: node --import tsx bench/server-bare.ts <port>
 */
import Fastify from 'fastify';

const port = Number(process.argv[2] ?? 3999);
const app = Fastify({ logger: false });
const body = {
  status: 'online',
  cluster: {
    isWorker: false,
    workerId: 'primary',
    instanceId: `bench-${process.pid}-000000`,
    pid: process.pid,
  },
  redis: { connected: false, fallbackMode: true, healthy: true, topology: 'memory', state: 'memory' },
};
app.get('/bare', async () => body);
await app.listen({ host: '127.0.0.1', port });
process.send?.('ready');
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
