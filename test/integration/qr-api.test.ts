/**
 * The QR API over real HTTP: two server instances on one Redis (this file's own redis-server) and
 * one embedded database file. Every image is decoded back to its token with jsQR; verification
 * answers each kind of bad token correctly; warming on one instance serves cached images from the
 * other; revocation reaches both.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring, QRTokens } from '../../src/apps/qr/tokens/index.js';
import { decodePng, decodeSvg } from '../support/qr-decode.js';
import { uniquePrefix } from '../support/redis.js';
import { type RedisSingleHandle, startSingle, waitFor } from '../support/topology.js';
import { errorCode, qrOf, type Running, request, startServer } from './server/harness.js';

const SECRET = 'qr-api-test-secret-0123456789';
const ADMIN = 'qr-api-admin-token-0123456789';
const admin = { authorization: `Bearer ${ADMIN}` };
const STUDENTS = Array.from({ length: 40 }, (_, i) => ({ id: String(24000 + i), name: `Student ${i}` }));
const STALLS = [
  { id: 'FOOD-1', name: 'Food court' },
  { id: 'BOOKS', name: 'Bookshop' },
];

let redis: RedisSingleHandle;
let dir: string;
let a: Running;
let b: Running;

beforeAll(async () => {
  redis = await startSingle();
  dir = mkdtempSync(join(tmpdir(), 'plexus-qr-'));
  const env = {
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: uniquePrefix('qr'),
    DATABASE_URL: `sqlite:${join(dir, 'qr.db')}`,
    QR_SECRET: SECRET,
    PLEXUS_ADMIN_TOKEN: ADMIN,
    QR_WARM_WORKERS: '1',
    QR_HTTP_MAX_AGE_SECONDS: '120',
  };
  a = await startServer({ env });
  b = await startServer({ env });
  const csv = (rows: { id: string; name: string }[]) =>
    `id,name\n${rows.map((r) => `${r.id},${r.name}`).join('\n')}\n`;
  await qrOf(a).importRoster('student', csv(STUDENTS));
  await qrOf(a).importRoster('stall', csv(STALLS));
}, 60_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await redis?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

async function png(base: string, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${path}`, { headers });
  return { response, body: Buffer.from(await response.arrayBuffer()) };
}

async function verify(base: string, token: unknown) {
  return request(`${base}/api/1/qr/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
}

describe('images', () => {
  it('GET /students/:id answers the seed shape; the data URL decodes to the token', async () => {
    const first = await request(`${a.url}/api/1/qr/students/24001`);
    expect(first.status).toBe(200);
    expect(Object.keys(first.body).sort()).toEqual(['cached', 'qr_image', 'qr_token', 'success']);
    expect(first.body.success).toBe(true);
    expect(first.body.cached).toBe(false);
    const token = first.body.qr_token as string;
    expect(token).toMatch(/^[A-Z2-7]{20,40}$/);
    const dataUrl = first.body.qr_image as string;
    expect(dataUrl.startsWith('data:image/png;base64,')).toBe(true);
    const image = Buffer.from(dataUrl.slice('data:image/png;base64,'.length), 'base64');
    expect(decodePng(image)?.text).toBe(token);
    const again = await request(`${b.url}/api/1/qr/students/24001`);
    expect(again.body).toEqual({ ...first.body, cached: true });
  });

  it('.png and .svg decode to the token, with ETag, Cache-Control and 304', async () => {
    const { body: json } = await request(`${a.url}/api/1/qr/stalls/FOOD-1`);
    const token = json.qr_token as string;
    const { response, body } = await png(a.url, '/api/1/qr/stalls/FOOD-1.png');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('cache-control')).toBe('private, max-age=120');
    const etag = response.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(decodePng(body)?.text).toBe(token);
    expect(body.length).toBeLessThan(1500);

    const revalidated = await png(b.url, '/api/1/qr/stalls/FOOD-1.png', { 'if-none-match': etag });
    expect(revalidated.response.status).toBe(304);
    expect(revalidated.body.length).toBe(0);
    expect(
      (await png(b.url, '/api/1/qr/stalls/FOOD-1.png', { 'if-none-match': '"other"' })).response.status,
    ).toBe(200);

    const svg = await fetch(`${b.url}/api/1/qr/stalls/FOOD-1.svg`);
    expect(svg.headers.get('content-type')).toBe('image/svg+xml');
    expect(svg.headers.get('etag')).not.toBe(etag);
    expect(decodeSvg(await svg.text())?.text).toBe(token);
  });

  it('size and margin change the image, which still decodes', async () => {
    const token = ((await request(`${a.url}/api/1/qr/students/24002`)).body.qr_token as string) ?? '';
    for (const [size, margin] of [
      [128, 2],
      [600, 6],
    ]) {
      const { response, body } = await png(
        a.url,
        `/api/1/qr/students/24002.png?size=${size}&margin=${margin}`,
      );
      expect(response.status).toBe(200);
      const decoded = decodePng(body);
      expect(decoded?.text).toBe(token);
      expect(decoded!.width).toBeLessThanOrEqual(size!);
      expect(decoded!.width).toBeGreaterThan(size! * 0.6);
      const svg = await fetch(`${b.url}/api/1/qr/students/24002.svg?size=${size}&margin=${margin}`);
      expect(decodeSvg(await svg.text())?.text).toBe(token);
    }
  });

  it('unknown ids are 404 QR_NOT_FOUND; bad options are 400', async () => {
    for (const path of [
      '/api/1/qr/students/99999',
      '/api/1/qr/students/99999.png',
      '/api/1/qr/students/99999.svg',
      '/api/1/qr/stalls/NOPE',
      '/api/1/qr/stalls/24001',
      '/api/1/qr/students/bad%20id.png',
    ]) {
      const response = await request(`${a.url}${path}`);
      expect(response.status, path).toBe(404);
      expect(errorCode(response)).toBe('QR_NOT_FOUND');
    }
    for (const query of ['size=10', 'size=99999', 'margin=-1', 'margin=40', 'size=abc', 'color=red']) {
      const response = await request(`${a.url}/api/1/qr/students/24001.png?${query}`);
      expect(response.status, query).toBe(400);
      expect(errorCode(response)).toBe('VALIDATION_FAILED');
    }
  });
});

describe('verification', () => {
  it('accepts student and stall codes, with their names', async () => {
    const student = (await request(`${a.url}/api/1/qr/students/24003`)).body.qr_token;
    expect((await verify(b.url, student)).body).toEqual({
      valid: true,
      type: 'student',
      id: '24003',
      name: 'Student 3',
    });
    const stall = (await request(`${a.url}/api/1/qr/stalls/BOOKS`)).body.qr_token;
    expect((await verify(b.url, stall)).body).toEqual({
      valid: true,
      type: 'stall',
      id: 'BOOKS',
      name: 'Bookshop',
    });
  });

  it('says which way a token is bad, never 500', async () => {
    const token = (await request(`${a.url}/api/1/qr/students/24004`)).body.qr_token as string;
    const flipped = token.slice(0, -2) + (token.at(-2) === 'A' ? 'B' : 'A') + token.at(-1);
    const wrongKey = new QRTokens(new Keyring({ id: 1, secret: 'another-secret-0123456789' }));
    const sameKey = new QRTokens(new Keyring({ id: 1, secret: SECRET }));
    const jwt = new QRTokens(new Keyring({ id: 1, secret: SECRET }), 'jwt');
    const cases: [unknown, string][] = [
      [flipped, 'tampered'],
      [token.slice(0, -3), 'malformed'],
      [token.slice(0, 10), 'malformed'],
      [wrongKey.issue({ type: 'student', id: '24004', version: 1 }), 'tampered'],
      [
        new QRTokens(new Keyring({ id: 7, secret: SECRET })).issue({
          type: 'student',
          id: '24004',
          version: 1,
        }),
        'tampered',
      ],
      ['', 'malformed'],
      ['Z'.repeat(10 * 1024), 'malformed'],
      [`${'eyJ'.repeat(3000)}.x.y`, 'malformed'],
      ['{"json":"garbage"}', 'malformed'],
      [sameKey.issue({ type: 'student', id: '77777', version: 1 }), 'unknown'],
      [sameKey.issue({ type: 'student', id: '24004', version: 5 }), 'revoked'],
      [jwt.issue({ type: 'student', id: '24004', version: 1 }), 'valid'],
      [jwt.issue({ type: 'stall', id: 'NOPE', version: 1 }), 'unknown'],
    ];
    for (const [candidate, expected] of cases) {
      const response = await verify(a.url, candidate);
      expect(response.status).toBe(200);
      const outcome = response.body.valid === true ? 'valid' : response.body.error;
      expect(outcome, String(candidate).slice(0, 40)).toBe(expected);
    }
  });

  it('refuses a body without a string token with 400', async () => {
    for (const body of ['{}', '{"token":42}', '{"token":"x","extra":1}', 'not json']) {
      const response = await request(`${a.url}/api/1/qr/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(response.status, body).toBe(400);
      expect(['VALIDATION_FAILED', 'INVALID_JSON']).toContain(errorCode(response));
    }
  });
});

describe('administration', () => {
  it('admin routes need the admin token', async () => {
    for (const [method, path] of [
      ['POST', '/api/1/qr/warm'],
      ['GET', '/api/1/qr/stats'],
      ['DELETE', '/api/1/qr/students/24001/cache'],
      ['POST', '/api/1/qr/students/24001/revoke'],
    ] as const) {
      const response = await request(`${a.url}${path}`, { method });
      expect(response.status, path).toBe(401);
      expect(errorCode(response)).toBe('UNAUTHORIZED');
    }
  });

  it('revocation makes the old code revoked and serves a new one on every instance', async () => {
    const old = (await request(`${a.url}/api/1/qr/students/24010`)).body.qr_token as string;
    await png(b.url, '/api/1/qr/students/24010.png'); // cached on b too
    const revoked = await request(`${a.url}/api/1/qr/students/24010/revoke`, {
      method: 'POST',
      headers: admin,
    });
    expect(revoked.body).toEqual({ success: true, id: '24010', token_version: 2 });
    expect((await verify(b.url, old)).body).toEqual({ valid: false, error: 'revoked' });
    const fresh = await waitFor('b to drop the revoked image', async () => {
      const { response, body } = await png(b.url, '/api/1/qr/students/24010.png');
      const text = decodePng(body)?.text;
      return text !== old && response.status === 200 ? text : undefined;
    });
    expect(fresh).not.toBe(old);
    expect((await verify(a.url, fresh)).body).toMatchObject({ valid: true, id: '24010' });
    const missing = await request(`${a.url}/api/1/qr/students/99999/revoke`, {
      method: 'POST',
      headers: admin,
    });
    expect(missing.status).toBe(404);
  });

  it('DELETE .../cache drops a student images everywhere', async () => {
    await png(a.url, '/api/1/qr/students/24011.png');
    await png(a.url, '/api/1/qr/students/24011.png?size=200');
    const deleted = await request(`${b.url}/api/1/qr/students/24011/cache`, {
      method: 'DELETE',
      headers: admin,
    });
    expect(deleted.body).toEqual({ success: true, deleted: 2 });
    const { response } = await png(a.url, '/api/1/qr/students/24011.png');
    expect(response.headers.get('x-cache')).toBe('MISS');
  });

  it('warming on one instance serves cached images from the other', async () => {
    // A revocation earlier in this file deletes its images again a second later: let it run first.
    await qrOf(a).revocationsSettled();
    await qrOf(a).clearQRCache();
    const started = await request(`${a.url}/api/1/qr/warm`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ targets: 'both' }),
    });
    expect(started.status).toBe(202);
    const id = started.body.id as string;
    expect(started.headers.get('location')).toBe(`/api/1/qr/warm/${id}`);
    // The status is readable from the other instance (through Redis).
    const done = await waitFor('the warm job to finish', async () => {
      const status = await request(`${b.url}/api/1/qr/warm/${id}`, { headers: admin });
      return status.body.state === 'done' ? status.body : undefined;
    });
    expect(done.students).toMatchObject({ done: STUDENTS.length, total: STUDENTS.length, failed: 0 });
    expect(done.stalls).toMatchObject({ done: STALLS.length, failed: 0 });

    for (const [i, student] of STUDENTS.entries()) {
      const { response, body } = await png(b.url, `/api/1/qr/students/${student.id}.png`);
      expect(response.headers.get('x-cache'), student.id).toBe('HIT');
      if (i % 8 === 0) {
        const token = decodePng(body)?.text;
        expect((await verify(b.url, token)).body).toMatchObject({ valid: true, id: student.id });
      }
    }
    expect((await request(`${b.url}/api/1/qr/warm/0123456789abcdef`, { headers: admin })).status).toBe(404);
  });

  it('stats count the cached images and their bytes in Redis', async () => {
    await qrOf(a).warmStallQRCache();
    const stats = await request(`${b.url}/api/1/qr/stats`, { headers: admin });
    expect(stats.status).toBe(200);
    expect(stats.body.connected).toBe(true);
    const students = stats.body.students as { entries: number; bytes: number; hitRate: number };
    const stalls = stats.body.stalls as { entries: number };
    expect(students.entries).toBeGreaterThanOrEqual(STUDENTS.length);
    expect(stats.body.totalQRsCached).toBe(students.entries + stalls.entries);
    expect(students.bytes / students.entries).toBeGreaterThan(300);
    expect(students.bytes / students.entries).toBeLessThan(1500);
    expect(students.hitRate).toBeGreaterThan(0);
  });
});
