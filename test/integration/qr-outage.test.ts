/**
 * Redis down (this file's own redis-server: SIGKILL, then SIGSTOP): both instances keep serving
 * every QR image, from process memory or rendered on demand, and keep verifying codes; no request
 * fails or hangs. When Redis returns, the instances share images through it again by themselves.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decodePng } from '../support/qr-decode.js';
import { uniquePrefix } from '../support/redis.js';
import { type RedisSingleHandle, startSingle, waitFor } from '../support/topology.js';
import { qrOf, type Running, request, startServer } from './server/harness.js';

const STUDENTS = Array.from({ length: 30 }, (_, i) => String(5000 + i));

let redis: RedisSingleHandle;
let dir: string;
let a: Running;
let b: Running;

beforeAll(async () => {
  redis = await startSingle();
  dir = mkdtempSync(join(tmpdir(), 'plexus-qr-outage-'));
  const env = {
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: uniquePrefix('qr'),
    DATABASE_URL: `sqlite:${join(dir, 'qr.db')}`,
    QR_SECRET: 'qr-outage-test-secret-0123456789',
    REDIS_COMMAND_TIMEOUT_MS: '150',
    REDIS_BREAKER_RESET_MS: '200',
    REDIS_HEALTH_INTERVAL_MS: '200',
  };
  a = await startServer({ env });
  b = await startServer({ env });
  await qrOf(a).importRoster(
    'student',
    `id,name\n${STUDENTS.map((id) => `${id},Student ${id}`).join('\n')}\n`,
  );
}, 60_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await redis?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

interface Served {
  status: number;
  cache: string | null;
  token: string | undefined;
  ms: number;
}

async function image(base: string, id: string): Promise<Served> {
  const started = performance.now();
  const response = await fetch(`${base}/api/1/qr/students/${id}.png`);
  const body = Buffer.from(await response.arrayBuffer());
  return {
    status: response.status,
    cache: response.headers.get('x-cache'),
    token: response.status === 200 ? decodePng(body)?.text : undefined,
    ms: performance.now() - started,
  };
}

async function verify(base: string, token: string | undefined) {
  const response = await request(`${base}/api/1/qr/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  return response.body;
}

async function everyImageServed(outage: string): Promise<void> {
  for (const base of [a.url, b.url]) {
    for (const id of STUDENTS) {
      const served = await image(base, id);
      expect(served.status, `${outage}: ${id}`).toBe(200);
      expect(served.ms, `${outage}: ${id} took ${served.ms} ms`).toBeLessThan(2_000);
      expect((await verify(base, served.token)).valid, `${outage}: ${id}`).toBe(true);
    }
  }
}

it('serves every image while Redis is killed, rendering the ones it never saw', async () => {
  // The first third is cached everywhere, the rest was never requested.
  for (const id of STUDENTS.slice(0, 10)) {
    await image(a.url, id);
    expect((await image(b.url, id)).cache).toBe('HIT');
  }
  await redis.node.kill();
  await waitFor('both instances to notice', () =>
    [a, b].every((s) => s.plexus.redis.state === 'degraded') ? true : undefined,
  );
  const unseen = await image(a.url, STUDENTS[20]!);
  expect(unseen.status).toBe(200);
  expect(unseen.cache).toBe('MISS');
  await everyImageServed('killed');
});

it('serves every image while Redis is paused (requests never wait for it)', async () => {
  await redis.node.restart();
  await waitFor('both instances to reconnect', () =>
    [a, b].every((s) => s.plexus.redis.state === 'ready') ? true : undefined,
  );
  redis.node.pause();
  try {
    await everyImageServed('paused');
  } finally {
    redis.node.resume();
  }
});

it('shares images through Redis again once it is back', async () => {
  await waitFor('both instances to be ready', () =>
    [a, b].every((s) => s.plexus.redis.state === 'ready') ? true : undefined,
  );
  await qrOf(a).clearQRCache();
  const id = STUDENTS[25]!;
  const first = await image(a.url, id);
  expect(first.cache).toBe('MISS');
  const second = await image(b.url, id);
  expect(second.cache).toBe('HIT');
  expect(second.token).toBe(first.token);
});
