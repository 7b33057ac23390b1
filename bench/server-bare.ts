/**
 * Baseline for bench/server-status.ts: a bare Fastify server (no logger, no schema, no plugins)
 * answering GET /bare with a literal of the same shape and size as /api/1/status.
 * Usage: node --import tsx bench/server-bare.ts <port>
 */
import { serveBare } from './support/http.js';

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
await serveBare(body, 3999);
