/**
 * The reference server's fast lane (src/server/fast-lane.ts) over real HTTP, on the machine's Redis
 * (a key prefix per server) and an embedded database: a cached QR image and the signed-in account
 * answered before Fastify routes the request send the bytes the Fastify routes send (compared
 * with the lane closed, on the same server); every request the lane cannot answer the same way is
 * the route's (a revalidation, a query, HEAD, a cookie to renew, a session ended, an image dropped);
 * answers are counted under their route; the lane is closed while the server closes, and not
 * opened at all with request logging on.
 */
import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastLane } from '../../../src/server/fast-lane.js';
import { Browser, FAST_HASHING, PASSWORD, redisEnv } from '../../support/sessions-helpers.js';
import { qrOf, type Running, startServer } from './harness.js';

const ADMIN = 'fast-lane-admin-token-0123456789';
const PNG = '/api/1/qr/students/7001.png';
const SVG = '/api/1/qr/stalls/S-1.svg';
const ME = '/api/1/auth/me';

interface Raw {
  status: number;
  /** Header names and values in the order sent. */
  headers: string[];
  body: Buffer;
}

const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

async function start(env: Record<string, string> = {}): Promise<Running> {
  const server = await startServer({
    env: { ...FAST_HASHING, ...redisEnv(), PLEXUS_ADMIN_TOKEN: ADMIN, PLEXUS_APPS: 'qr', ...env },
  });
  running.push(server);
  await server.plexus.auth.accounts.create({
    login: 'ada@example.com',
    password: PASSWORD,
    roles: ['staff'],
  });
  await qrOf(server).importRoster('student', 'id,name\n7001,Student One\n7002,Student Two\n');
  await qrOf(server).importRoster('stall', 'id,name\nS-1,Stall One\n');
  return server;
}

function laneOf(server: Running): FastLane {
  const lane = server.server.fastLane;
  if (lane === undefined) throw new Error('this server opened no fast lane');
  return lane;
}

function raw(base: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.rawHeaders, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** The request as the lane answers it: repeated (at most 5 times) until the lane took one. */
async function throughLane(
  server: Running,
  path: string,
  headers: Record<string, string> = {},
): Promise<Raw> {
  const lane = laneOf(server);
  for (let i = 0; i < 5; i++) {
    const before = lane.answered;
    const reply = await raw(server.url, path, headers);
    if (lane.answered === before + 1) return reply;
  }
  throw new Error(`the lane never answered ${path}`);
}

/** Header names and values, with the two that differ per response (its id and date) masked. */
function comparable(headers: string[]): string[] {
  return headers.map((value, i) => {
    const name = headers[i - 1]?.toLowerCase();
    return i % 2 === 1 && (name === 'x-request-id' || name === 'date') ? '*' : value;
  });
}

async function signedIn(server: Running): Promise<Browser> {
  const browser = new Browser(server.url);
  expect((await browser.login('ada@example.com')).status).toBe(200);
  return browser;
}

describe('the fast lane', () => {
  it("sends the Fastify routes' status, headers and bytes, with a request id of the instance", async () => {
    const server = await start();
    const browser = await signedIn(server);
    const cookie = { cookie: browser.cookie! };
    const lane = laneOf(server);

    const png = await throughLane(server, PNG);
    const svg = await throughLane(server, SVG);
    const me = await throughLane(server, ME, cookie);
    const given = await throughLane(server, ME, { ...cookie, 'x-request-id': 'edge-trace-1' });
    expect(png.headers).toContain('image/png');
    expect(JSON.parse(me.body.toString())).toMatchObject({
      user: { login: 'ada@example.com', roles: ['staff'] },
      session: { current: true, device: 'vitest-browser/1.0' },
    });
    expect(png.headers[png.headers.indexOf('x-request-id') + 1]).toMatch(
      new RegExp(`^${server.plexus.instanceId}-`),
    );
    expect(given.headers[given.headers.indexOf('x-request-id') + 1]).toBe('edge-trace-1');

    lane.close();
    const answered = lane.answered;
    const pngByFastify = await raw(server.url, PNG);
    const svgByFastify = await raw(server.url, SVG);
    const meByFastify = await raw(server.url, ME, cookie);
    expect(lane.answered).toBe(answered);
    for (const [byLane, byFastify] of [
      [png, pngByFastify],
      [svg, svgByFastify],
      [me, meByFastify],
    ] as const) {
      expect(byLane.status).toBe(byFastify.status);
      expect(comparable(byLane.headers)).toEqual(comparable(byFastify.headers));
      expect(byLane.body.equals(byFastify.body)).toBe(true);
    }
  });

  it('leaves to the routes what it cannot answer the same way, and they answer as they always did', async () => {
    const server = await start();
    const lane = laneOf(server);
    const browser = await signedIn(server);
    const png = await throughLane(server, PNG);
    const etag = png.headers[png.headers.indexOf('etag') + 1]!;
    const answered = lane.answered;

    const revalidated = await raw(server.url, PNG, { 'if-none-match': etag });
    expect(revalidated.status).toBe(304);
    const sized = await raw(server.url, `${PNG}?size=200`);
    expect([sized.status, sized.headers[sized.headers.indexOf('x-cache') + 1]]).toEqual([200, 'MISS']);
    const head = await raw(server.url, PNG, {}, 'HEAD');
    expect([head.status, head.body.length]).toEqual([200, 0]);
    const encoded = await raw(server.url, '/api/1/qr/students/7%30%301.png');
    expect(encoded.status).toBe(200);
    const unknown = await raw(server.url, '/api/1/qr/students/9999.png');
    expect(unknown.status).toBe(404);
    const anonymous = await raw(server.url, ME);
    expect(anonymous.status).toBe(401);
    const forged = await raw(server.url, ME, { cookie: `${browser.cookie!.slice(0, -4)}AAAA` });
    expect(forged.status).toBe(401);
    expect(lane.answered).toBe(answered);

    // An image dropped from the cache is rendered again by the route, then the lane has it again.
    expect(await qrOf(server).clearQRCache({ type: 'student', id: '7001' })).toBeGreaterThan(0);
    const rendered = await raw(server.url, PNG);
    expect(rendered.headers[rendered.headers.indexOf('x-cache') + 1]).toBe('MISS');
    expect(lane.answered).toBe(answered);
    await throughLane(server, PNG);

    // A session ended is never answered from the lane again.
    await throughLane(server, ME, { cookie: browser.cookie! });
    const cookie = browser.cookie!;
    expect((await browser.request('POST', '/api/1/auth/logout')).status).toBe(200);
    const after = lane.answered;
    const ended = await raw(server.url, ME, { cookie });
    expect(ended.status).toBe(401);
    expect(lane.answered).toBe(after);
  });

  it('leaves a cookie signed with a previous secret to the route, which sends it again re-signed', async () => {
    const prefix = redisEnv();
    const old = await start({ ...prefix, SESSION_SECRET: 'the-old-session-secret-0123456789' });
    const browser = await signedIn(old);
    const rotated = await start({
      ...prefix,
      SESSION_SECRET: 'the-new-session-secret-0123456789',
      SESSION_PREVIOUS_SECRETS: 'the-old-session-secret-0123456789',
    });
    const lane = laneOf(rotated);
    for (let i = 0; i < 3; i++) {
      const reply = await raw(rotated.url, ME, { cookie: browser.cookie! });
      expect(reply.status).toBe(200);
      expect(reply.headers.map((h) => h.toLowerCase())).toContain('set-cookie');
    }
    expect(lane.answered).toBe(0);
  });

  it('counts its answers under their routes, as Fastify counts the rest', async () => {
    const server = await start();
    const lane = laneOf(server);
    for (let i = 0; i < 6; i++) await raw(server.url, PNG);
    for (let i = 0; i < 2; i++) await raw(server.url, '/api/1/qr/students/7002.png');
    expect(lane.answered).toBeGreaterThanOrEqual(6);
    // Two minutes: the requests may straddle a minute boundary.
    const document = await server.plexus.metrics.requests(2);
    expect(document.routes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          method: 'GET',
          route: '/api/1/qr/students/:id.png',
          status: 200,
          count: 8,
        }),
      ]),
    );
  });

  it('closes when the server closes, and is not opened with request logging on or when turned off', async () => {
    const server = await start();
    const lane = laneOf(server);
    expect(lane.open).toBe(true);
    running.splice(running.indexOf(server), 1);
    await server.stop();
    expect(lane.open).toBe(false);

    expect(
      (await start({ PLEXUS_LOG_REQUESTS: 'true', LOG_LEVEL: 'silent' })).server.fastLane,
    ).toBeUndefined();
    const off = await start({ PLEXUS_FAST_LANE: 'false' });
    expect(off.server.fastLane).toBeUndefined();
    expect((await raw(off.url, PNG)).status).toBe(200);
  });
});
