/**
 * Display links (src/apps/attendance/display-links.ts) across two instances: staff create one for a
 * roll call; with its token alone (no cookie) a projector reads the display status and the code
 * image on either instance and hears its session's rotations and counts (no student ids) on the
 * `attendance-display` WebSocket endpoint; the token grants nothing else (no staff route, no room,
 * no other endpoint); revoking it ends all of that at once (an open socket is told `revoked`, then
 * closed on every instance); a closed session's links stop working.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createRealtimeClient, type RealtimeClient } from '../../../src/realtime-client/index.js';
import { TEST_REDIS_URL } from '../../support/redis.js';
import { type EngineTarget, sqliteTarget } from '../db/fixtures.js';
import { errorCode, type Running, startServer } from '../server/harness.js';
import {
  ADMIN_TOKEN,
  attendanceOf,
  baseEnv,
  call,
  cookieFor,
  importStudents,
  openRollCall,
} from './support.js';

type DisplayEvents = {
  rotation: { window: number; code: string; expiresAt: number };
  checkin: Record<string, unknown>;
  revoked: { linkId: string };
};

describe('attendance display links', () => {
  let target: EngineTarget;
  let a: Running;
  let b: Running;
  let staff: string;
  let student: string;
  const clients: RealtimeClient<DisplayEvents>[] = [];

  beforeAll(async () => {
    target = sqliteTarget();
    const env = baseEnv(target.env, { REDIS_URL: TEST_REDIS_URL, REDIS_COMMAND_TIMEOUT_MS: '3000' });
    a = await startServer({ env });
    b = await startServer({ env });
    await importStudents(a, ['dl001', 'dl002']);
    staff = await cookieFor(a, 'teacher', ['staff']);
    student = await cookieFor(a, 'dl001', ['student']);
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await Promise.all([a?.stop(), b?.stop()]);
    await target?.drop();
  });

  async function createLink(sessionId: string): Promise<{ token: string; id: string; url: string }> {
    const made = await call(a.url, 'POST', `/sessions/${sessionId}/display-links`, { cookie: staff });
    expect(made.status, made.text).toBe(200);
    const link = made.body.link as { id: string; sessionId: string };
    expect(link.sessionId).toBe(sessionId);
    return { token: made.body.token as string, id: link.id, url: made.body.url as string };
  }

  function display(token: string, on: Running = b): RealtimeClient<DisplayEvents> {
    const client = createRealtimeClient<DisplayEvents>({
      url: `${on.url.replace('http', 'ws')}/api/1/ws/attendance-display`,
      WebSocket,
      token: async () => {
        const issued = await call(on.url, 'POST', `/display-links/${token}/ws-token`);
        if (issued.status !== 200) throw new Error(issued.text);
        return issued.body.token as string;
      },
      backoff: { initialMs: 100, maxMs: 500 },
    });
    clients.push(client);
    return client;
  }

  it('only staff create, list and revoke links', async () => {
    const sessionId = await openRollCall(a.url);
    const anonymous = await call(a.url, 'POST', `/sessions/${sessionId}/display-links`);
    expect(anonymous.status).toBe(401);
    const byStudent = await call(a.url, 'POST', `/sessions/${sessionId}/display-links`, { cookie: student });
    expect(byStudent.status).toBe(403);
    const link = await createLink(sessionId);
    expect(link.url).toMatch(
      new RegExp(`/attendance/display/${sessionId}#link=${link.token.replace('.', '\\.')}$`),
    );
    const listed = await call(b.url, 'GET', `/sessions/${sessionId}/display-links`, { token: ADMIN_TOKEN });
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([expect.objectContaining({ id: link.id, revokedAt: null })]);
    expect(JSON.stringify(listed.body)).not.toContain(link.token.split('.')[1]!);
    const byStudentList = await call(a.url, 'GET', `/sessions/${sessionId}/display-links`, {
      cookie: student,
    });
    expect(byStudentList.status).toBe(403);
    const byStudentRevoke = await call(a.url, 'DELETE', `/sessions/${sessionId}/display-links/${link.id}`, {
      cookie: student,
    });
    expect(byStudentRevoke.status).toBe(403);
    // A link is revoked through its own session only.
    const other = await openRollCall(a.url);
    const elsewhere = await call(a.url, 'DELETE', `/sessions/${other}/display-links/${link.id}`, {
      cookie: staff,
    });
    expect(elsewhere.status).toBe(404);
  });

  it("lists a session's links newest first, a page at a time with an opaque cursor", async () => {
    const sessionId = await openRollCall(a.url);
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await createLink(sessionId)).id);
    const links: { id: string; createdAt: number }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor === null ? '?limit=2' : `?limit=2&cursor=${cursor}`;
      const page = await call(b.url, 'GET', `/sessions/${sessionId}/display-links${query}`, {
        cookie: staff,
      });
      expect(page.status, page.text).toBe(200);
      const items = page.body.items as { id: string; createdAt: number }[];
      expect(items.length).toBeLessThanOrEqual(2);
      links.push(...items);
      cursor = page.body.next as string | null;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(links.map((l) => l.id).sort()).toEqual([...made].sort());
    // Newest first; links made in one millisecond in descending id order.
    for (let i = 1; i < links.length; i++) {
      const [before, after] = [links[i - 1]!, links[i]!];
      expect(
        before.createdAt > after.createdAt || (before.createdAt === after.createdAt && before.id > after.id),
      ).toBe(true);
    }
    for (const [query, code] of [
      ['?cursor=nonsense', 'ATTENDANCE_INVALID'],
      ['?limit=0', 'VALIDATION_FAILED'],
      ['?limit=101', 'VALIDATION_FAILED'],
      ['?page=2', 'VALIDATION_FAILED'],
    ] as const) {
      const bad = await call(a.url, 'GET', `/sessions/${sessionId}/display-links${query}`, { cookie: staff });
      expect([bad.status, errorCode(bad)]).toEqual([400, code]);
    }
  });

  it('shows the code and count on either instance with the token alone, and grants nothing else', async () => {
    const sessionId = await openRollCall(a.url);
    const link = await createLink(sessionId);
    for (const on of [a, b]) {
      const shown = await call(on.url, 'GET', `/display-links/${link.token}/display`);
      expect(shown.status, shown.text).toBe(200);
      expect(shown.body).toMatchObject({ sessionId, name: 'Databases 101', count: 0, open: true });
      const again = await call(on.url, 'GET', `/display-links/${link.token}/display`, {
        headers: { 'if-none-match': shown.headers.get('etag')! },
      });
      expect(again.status).toBe(304);
      const image = await fetch(`${on.url}/api/1/attendance/display-links/${link.token}/code.svg`);
      expect(image.status).toBe(200);
      expect(image.headers.get('content-type')).toContain('image/svg+xml');
    }
    // A forged secret, a malformed token.
    const [id] = link.token.split('.');
    const forged = await call(
      a.url,
      'GET',
      `/display-links/${id}.${randomBytes(32).toString('base64url')}/display`,
    );
    expect(forged.status).toBe(401);
    expect(errorCode(forged)).toBe('ATTENDANCE_LINK_INVALID');
    expect((await call(a.url, 'GET', '/display-links/nonsense/display')).status).toBe(400);
    // The token is no staff credential: as a bearer token, as a cookie, on every other route.
    const staffRoutes: [string, string, unknown?][] = [
      ['GET', `/sessions/${sessionId}/display`],
      ['GET', `/sessions/${sessionId}/code.svg`],
      ['GET', `/sessions/${sessionId}`],
      ['GET', `/sessions/${sessionId}/checkins`],
      ['GET', `/sessions/${sessionId}/checkins.csv`],
      ['PUT', `/sessions/${sessionId}/checkins/dl001`, { status: 'present', reason: 'projector' }],
      ['POST', `/sessions/${sessionId}/close`],
      ['POST', `/sessions/${sessionId}/display-links`],
      ['GET', `/sessions/${sessionId}/display-links`],
      ['GET', '/photos/abcdefghijklmnopqrstuv'],
    ];
    for (const [method, path, body] of staffRoutes) {
      const asBearer = await call(a.url, method, path, { token: link.token, body });
      expect([401, 403], `${method} ${path} with the link as a bearer token`).toContain(asBearer.status);
      const asCookie = await call(a.url, method, path, { cookie: `plexus_display=${link.token}`, body });
      expect([401, 403], `${method} ${path} with the link as a cookie`).toContain(asCookie.status);
    }
    const closed = await call(a.url, 'GET', `/sessions/${sessionId}`, { token: ADMIN_TOKEN });
    expect(closed.body).toMatchObject({ session: { closedAt: null }, count: 0 });
    // Its connection token opens the display endpoint only, and joins no room there.
    const issued = await call(b.url, 'POST', `/display-links/${link.token}/ws-token`);
    expect(issued.status).toBe(200);
    expect(issued.body.endpoint).toBe('attendance-display');
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(
        `${b.url.replace('http', 'ws')}/api/1/ws/attendance?token=${issued.body.token}`,
      );
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => {
        ws.close();
        resolve(101);
      });
    });
    expect(refused, 'WS_BAD_TOKEN: issued for another endpoint').toBe(400);
    const client = display(link.token);
    await client.connect();
    await expect(client.join(`session:${sessionId}`)).rejects.toThrow();
    client.close();
  });

  it('hears its session rotations and counts, without student ids, across instances', async () => {
    const sessionId = await openRollCall(a.url);
    const otherSession = await openRollCall(a.url);
    const link = await createLink(sessionId);
    await createLink(otherSession);
    const client = display(link.token, b);
    const rotations: { window: number; code: string }[] = [];
    const counts: Record<string, unknown>[] = [];
    client.onMessage('rotation', (m) => rotations.push(m.data));
    client.onMessage('checkin', (m) => counts.push(m.data));
    await client.connect();
    // The announcement comes from instance a, the socket is on b.
    await attendanceOf(a).rollCalls.announceRotation();
    await expect.poll(() => rotations.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    const codes = attendanceOf(a).rollCalls.codes;
    expect(
      rotations.every((r) => codes.check(r.code).ok && codes.check(r.code).sessionId === sessionId),
    ).toBe(true);
    const shown = await call(a.url, 'GET', `/display-links/${link.token}/display`);
    const checked = await call(a.url, 'POST', '/checkins', {
      cookie: `${student}; plexus_device=${randomBytes(16).toString('base64url')}`,
      body: { code: shown.body.code },
    });
    expect(checked.status, checked.text).toBe(200);
    await expect.poll(() => counts.at(-1), { timeout: 10_000 }).toEqual({ count: 1 });
    expect(JSON.stringify(counts)).not.toContain('dl001');
  });

  it('revoked: refused at once on every instance, and an open display is told, then closed', async () => {
    const sessionId = await openRollCall(a.url);
    const link = await createLink(sessionId);
    const kept = await createLink(sessionId);
    // Displays of the link on both instances (the revoke is made on a), and one of another link.
    const client = display(link.token, b);
    const other = display(link.token, a);
    const bystander = display(kept.token, b);
    const revoked: unknown[] = [];
    client.onMessage('revoked', (m) => revoked.push(m.data));
    const closes: { code: number; reconnecting: boolean }[] = [];
    for (const c of [client, other]) c.on('close', (e) => closes.push(e));
    await Promise.all([client.connect(), other.connect(), bystander.connect()]);
    const done = await call(a.url, 'DELETE', `/sessions/${sessionId}/display-links/${link.id}`, {
      cookie: staff,
    });
    expect(done.status, done.text).toBe(200);
    expect(done.body.revokedAt).toEqual(expect.any(Number));
    for (const on of [a, b]) {
      const shown = await call(on.url, 'GET', `/display-links/${link.token}/display`);
      expect(shown.status).toBe(401);
      expect(shown.body).toMatchObject({ error: { code: 'ATTENDANCE_LINK_INVALID' } });
      expect((await fetch(`${on.url}/api/1/attendance/display-links/${link.token}/code.svg`)).status).toBe(
        401,
      );
      expect((await call(on.url, 'POST', `/display-links/${link.token}/ws-token`)).status).toBe(401);
    }
    await expect.poll(() => revoked.length, { timeout: 10_000 }).toBe(1);
    // Both sockets of the link are closed by policy (no reconnection); the other link's stays.
    await expect.poll(() => closes.length, { timeout: 10_000 }).toBe(2);
    expect(closes).toEqual([
      expect.objectContaining({ code: 1008, reconnecting: false }),
      expect.objectContaining({ code: 1008, reconnecting: false }),
    ]);
    expect([client.state, other.state, bystander.state]).toEqual(['closed', 'closed', 'open']);
    // The session's other link still works; revoking again changes nothing.
    expect((await call(b.url, 'GET', `/display-links/${kept.token}/display`)).status).toBe(200);
    const twice = await call(a.url, 'DELETE', `/sessions/${sessionId}/display-links/${link.id}`, {
      cookie: staff,
    });
    expect(twice.body.revokedAt).toBe(done.body.revokedAt);
  });

  it('expires with its session', async () => {
    const sessionId = await openRollCall(a.url);
    const link = await createLink(sessionId);
    expect((await call(b.url, 'GET', `/display-links/${link.token}/display`)).status).toBe(200);
    const closed = await call(a.url, 'POST', `/sessions/${sessionId}/close`, { token: ADMIN_TOKEN });
    expect(closed.status).toBe(200);
    await expect
      .poll(async () => (await call(b.url, 'GET', `/display-links/${link.token}/display`)).status, {
        timeout: 10_000,
      })
      .toBe(401);
    const late = await call(a.url, 'POST', `/sessions/${sessionId}/display-links`, { cookie: staff });
    expect(late.status).toBe(409);
  });
});
