/**
 * Request ids over real HTTP: unique across instances, taken from a well-formed incoming
 * X-Request-Id, returned in the header, carried by error bodies, and in the log lines of the
 * request (the per-request logger is built lazily, only when something is logged).
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createPlexus } from '../../../src/index.js';
import { createServer } from '../../../src/server/index.js';
import { errorCode, type Running, request, startServer } from './harness.js';

const servers: Running[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

describe('request ids', () => {
  it('are unique across instances and come back in X-Request-Id', async () => {
    servers.push(
      await startServer({ env: { PLEXUS_APPS: '' } }),
      await startServer({ env: { PLEXUS_APPS: '' } }),
    );
    const ids: string[] = [];
    for (const server of servers) {
      for (let i = 0; i < 3; i++)
        ids.push((await request(`${server.url}/api/1/status`)).headers.get('x-request-id')!);
    }
    expect(new Set(ids).size).toBe(6);
    expect(ids[0]!.startsWith(servers[0]!.plexus.instanceId)).toBe(true);
    expect(ids[3]!.startsWith(servers[1]!.plexus.instanceId)).toBe(true);
  });

  it('take a well-formed incoming X-Request-Id and replace a malformed one', async () => {
    const server = await startServer({ env: { PLEXUS_APPS: '' } });
    servers.push(server);
    const given = 'edge-7f3a:2b@lb/1';
    const echoed = await request(`${server.url}/api/1/status`, { headers: { 'x-request-id': given } });
    expect(echoed.headers.get('x-request-id')).toBe(given);
    for (const bad of ['has space', 'x'.repeat(129), 'quote"d', '']) {
      const replaced = await request(`${server.url}/api/1/status`, { headers: { 'x-request-id': bad } });
      expect(replaced.headers.get('x-request-id')).toMatch(new RegExp(`^${server.plexus.instanceId}-`));
    }
  });

  it('are in every error body', async () => {
    const server = await startServer({ env: { PLEXUS_APPS: '' } });
    servers.push(server);
    const missing = await request(`${server.url}/api/1/nothing-here`, {
      headers: { 'x-request-id': 'trace-1' },
    });
    expect([missing.status, errorCode(missing)]).toEqual([404, 'NOT_FOUND']);
    expect(missing.body).toMatchObject({ error: { requestId: 'trace-1' } });
    const invalid = await request(`${server.url}/api/1/status?unknown=1`);
    expect([invalid.status, errorCode(invalid)]).toEqual([400, 'VALIDATION_FAILED']);
    expect((invalid.body.error as { requestId: string }).requestId).toBe(invalid.headers.get('x-request-id'));
  });

  it('label the log lines of their request', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const plexus = createPlexus({ env: { HOST: '127.0.0.1', PORT: '0', DATABASE_URL: 'sqlite::memory:' } });
    const server = createServer(plexus, { logger: pino({ level: 'info' }, sink) });
    server.app.get('/test/log', async (req) => {
      req.log.info({ step: 'inside' }, 'handling');
      return { ok: true };
    });
    await plexus.start();
    const url = await server.listen();
    servers.push({ url, plexus, server, stop: () => server.stop() });
    const response = await request(`${url}/test/log`, { headers: { 'x-request-id': 'log-me-1' } });
    expect(response.status).toBe(200);
    expect(lines.find((l) => l.step === 'inside')).toMatchObject({ reqId: 'log-me-1', msg: 'handling' });
  });
});
