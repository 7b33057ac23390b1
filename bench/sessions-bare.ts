/**
 * Baseline for bench/sessions-me.ts: a bare Fastify server (no logger, no schema, no plugins)
 * answering GET /bare with a literal of the same shape and size as GET /api/1/auth/me.
 * Usage: node --import tsx bench/sessions-bare.ts <port>
 */
import { serveBare } from './support/http.js';

const body = {
  user: { id: '4b8f5a8e-3f6c-4f7e-9d2a-0c1e5b7a9d31', login: 'bench@example.com', roles: ['staff'] },
  session: {
    id: 'NzaRIdMpUSuMA5UvvzhHw8',
    current: true,
    device: 'autocannon',
    ip: '127.0.0.1',
    createdAt: '2026-01-01T00:00:00.000Z',
    lastSeenAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2026-01-02T00:00:00.000Z',
  },
};
await serveBare(body, 3998);
