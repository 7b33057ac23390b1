/**
 * The auth routes over real HTTP, one server against the machine's Redis (own key prefix) and an
 * in-memory database: login, the cookie, every way a request can be refused, rate limiting, the
 * session list, logout and logout-all, admin sessions on admin routes, production settings.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { createPlexus } from '../../src/index.js';
import type { RoutePlugin } from '../../src/server/context.js';
import { Browser, errorCodeOf, FAST_HASHING, PASSWORD, redisEnv } from '../support/sessions-helpers.js';
import { sleep } from '../support/topology.js';
import { type Running, startServer } from './server/harness.js';

const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

async function start(env: Record<string, string> = {}, extraRoutes: RoutePlugin[] = []): Promise<Running> {
  const server = await startServer({ env: { ...FAST_HASHING, ...redisEnv(), ...env }, extraRoutes });
  running.push(server);
  return server;
}

async function withAccounts(env: Record<string, string> = {}, extraRoutes: RoutePlugin[] = []) {
  const server = await start(env, extraRoutes);
  const accounts = server.plexus.auth.accounts;
  await accounts.create({ login: 'ada@example.com', password: PASSWORD, roles: ['admin'] });
  await accounts.create({ login: 'bob@example.com', password: PASSWORD, roles: ['staff', 'volunteer'] });
  return server;
}

function sessionKeys(server: Running): Promise<number> {
  return server.plexus.sessions.count();
}

describe('login', () => {
  it('signs in, sets a signed HttpOnly SameSite=Lax cookie, and /me answers from any request', async () => {
    const server = await withAccounts();
    const browser = new Browser(server.url);
    const login = await browser.login('  ADA@example.com ');
    expect(login.status).toBe(200);
    expect(login.body.user).toMatchObject({ login: 'ada@example.com', roles: ['admin'] });
    const setCookie = login.headers.getSetCookie()[0]!;
    expect(setCookie).toMatch(
      /^plexus\.sid=[A-Za-z0-9_-]{43}\.[A-Za-z0-9+/]{43}; Max-Age=86400; Path=\/; HttpOnly; SameSite=Lax$/,
    );

    const me = await browser.me();
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      user: { login: 'ada@example.com', roles: ['admin'] },
      session: { current: true, device: 'vitest-browser/1.0', ip: '127.0.0.1' },
    });
    // The session is named by a handle, never by its id.
    const handle = (me.body.session as { id: string }).id;
    expect(browser.cookie).not.toContain(handle);
  });

  it('gives a new session id at every login and ends the previous session', async () => {
    const server = await withAccounts();
    const browser = new Browser(server.url);
    await browser.login('ada@example.com');
    const first = browser.cookie!;
    await browser.login('bob@example.com');
    expect(browser.cookie).not.toBe(first);
    expect((await browser.me()).body.user).toMatchObject({ login: 'bob@example.com' });
    const old = new Browser(server.url);
    old.cookie = first;
    const stale = await old.me();
    expect(stale.status).toBe(401);
    expect(errorCodeOf(stale)).toBe('SESSION_EXPIRED');
    expect(await sessionKeys(server)).toBe(1);
  });

  it('refuses a wrong password and an unknown login alike, storing nothing', async () => {
    const server = await withAccounts();
    for (const [login, password] of [
      ['ada@example.com', 'wrong password!'],
      ['nobody@example.com', PASSWORD],
    ] as const) {
      const browser = new Browser(server.url);
      const result = await browser.login(login, password);
      expect(result.status).toBe(401);
      expect(result.body).toEqual({
        error: {
          code: 'INVALID_CREDENTIALS',
          message: 'Wrong login or password',
          requestId: result.headers.get('x-request-id'),
        },
      });
      expect(result.headers.getSetCookie()).toEqual([]);
    }
    expect(await sessionKeys(server)).toBe(0);
  });

  it('answers bad bodies with clear 4xx errors and stores nothing', async () => {
    const server = await withAccounts();
    const browser = new Browser(server.url);
    const cases: [string, unknown, Record<string, string>, number, string][] = [
      ['malformed JSON', '{"login": "ada@example.com", "password": ', {}, 400, 'INVALID_JSON'],
      ['huge body', { login: 'ada@example.com', password: 'x'.repeat(64 * 1024) }, {}, 413, 'BODY_TOO_LARGE'],
      ['missing password', { login: 'ada@example.com' }, {}, 400, 'VALIDATION_FAILED'],
      [
        'unknown field',
        { login: 'ada@example.com', password: PASSWORD, admin: true },
        {},
        400,
        'VALIDATION_FAILED',
      ],
      ['number for a string', { login: 'ada@example.com', password: 12345678 }, {}, 400, 'VALIDATION_FAILED'],
      ['empty login', { login: '', password: PASSWORD }, {}, 400, 'VALIDATION_FAILED'],
      ['array body', [1, 2], {}, 400, 'VALIDATION_FAILED'],
      [
        'form encoded',
        'login=ada&password=x',
        { 'content-type': 'application/x-www-form-urlencoded' },
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
    ];
    for (const [name, body, headers, status, code] of cases) {
      const result = await browser.request('POST', '/api/1/auth/login', body, headers);
      expect(result.status, name).toBe(status);
      expect(errorCodeOf(result), name).toBe(code);
    }
    expect(browser.cookie).toBeUndefined();
    expect(await sessionKeys(server)).toBe(0);
  });
});

describe('session cookies', () => {
  it('refuses no, forged, tampered, unsigned and stale cookies with 401 and a clear code', async () => {
    const server = await withAccounts();
    const browser = new Browser(server.url);
    await browser.login('bob@example.com');
    const genuine = browser.cookie!;
    const [name, value] = genuine.split('=') as [string, string];
    const [id, signature] = value.split('.') as [string, string];
    const other = createPlexus({ env: { SESSION_SECRET: 'an-attacker-secret-that-is-32-chars-long' } });

    const cases: [string, string | undefined, string][] = [
      ['no cookie', undefined, 'AUTH_REQUIRED'],
      ['tampered signature', `${name}=${id}.${signature.slice(0, -2)}xx`, 'SESSION_INVALID'],
      ['tampered id', `${name}=${id.slice(0, -2)}xx.${signature}`, 'SESSION_INVALID'],
      ['unsigned id', `${name}=${id}`, 'SESSION_INVALID'],
      ['forged with another secret', other.auth.cookie.issue(id).split(';')[0]!, 'SESSION_INVALID'],
      ['garbage', `${name}=%%%`, 'SESSION_INVALID'],
      [
        'genuine signature, unknown session',
        server.plexus.auth.cookie.issue('A'.repeat(43)).split(';')[0]!,
        'SESSION_EXPIRED',
      ],
    ];
    for (const [label, cookie, code] of cases) {
      const visitor = new Browser(server.url);
      visitor.cookie = cookie;
      const result = await visitor.me();
      expect(result.status, label).toBe(401);
      expect(errorCodeOf(result), label).toBe(code);
      if (cookie !== undefined)
        expect(result.headers.getSetCookie()[0], label).toMatch(/^plexus\.sid=; Max-Age=0/);
    }
    expect(await sessionKeys(server)).toBe(1);
    expect((await browser.me()).status).toBe(200);
  });

  it('ends a session after its lifetime without requests', async () => {
    const server = await withAccounts();
    const bob = await server.plexus.auth.accounts.findByLogin('bob@example.com');
    const record = await server.plexus.sessions.create({
      user: { id: bob!.id, login: bob!.login, roles: bob!.roles },
      ttlMs: 300,
    });
    const browser = new Browser(server.url);
    browser.cookie = server.plexus.auth.cookie.issue(record.id).split(';')[0];
    expect((await browser.me()).status).toBe(200);
    await sleep(700);
    const expired = await browser.me();
    expect(expired.status).toBe(401);
    expect(errorCodeOf(expired)).toBe('SESSION_EXPIRED');
    expect(await sessionKeys(server)).toBe(0);
  });

  it('is Secure in production, and production refuses to start without a long SESSION_SECRET', async () => {
    // Other modules have production requirements of their own (the QR and attendance signing secrets).
    const production = {
      NODE_ENV: 'production',
      PLEXUS_ADMIN_TOKEN: 'test-admin-token-0123456789',
      QR_SECRET: 'a-qr-secret-of-at-least-16-characters',
      ATTENDANCE_SECRET: 'an-attendance-secret-of-at-least-32-characters',
    };
    // Production also refuses to run without Redis unless REDIS_MODE=memory says so.
    const withRedis = { ...redisEnv(), ...production };
    expect(() => createPlexus({ env: withRedis })).toThrow(ConfigError);
    expect(() => createPlexus({ env: withRedis })).toThrow(/SESSION_SECRET/);
    expect(() => createPlexus({ env: { ...withRedis, SESSION_SECRET: 'too-short' } })).toThrow(/at least 32/);
    const server = await start({
      ...production,
      SESSION_SECRET: 'a-session-secret-of-at-least-32-characters',
    });
    await server.plexus.auth.accounts.create({
      login: 'ada@example.com',
      password: PASSWORD,
      roles: ['admin'],
    });
    const login = await new Browser(server.url).login('ada@example.com');
    expect(login.headers.getSetCookie()[0]).toMatch(/; Secure$/);
  });
});

describe('login rate limits', () => {
  it('answers 429 with Retry-After past the per-account limit; a success resets the count', async () => {
    const server = await withAccounts({ LOGIN_LIMIT_PER_ACCOUNT: '3', LOGIN_LIMIT_WINDOW: '120' });
    const browser = new Browser(server.url);
    for (let i = 0; i < 2; i++)
      expect((await browser.login('bob@example.com', 'wrong password!')).status).toBe(401);
    expect((await browser.login('bob@example.com')).status).toBe(200);
    for (let i = 0; i < 3; i++)
      expect((await browser.login('bob@example.com', 'wrong password!')).status).toBe(401);
    const limited = await browser.login('BOB@example.com');
    expect(limited.status).toBe(429);
    expect(errorCodeOf(limited)).toBe('LOGIN_RATE_LIMITED');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(100);
    expect(retryAfter).toBeLessThanOrEqual(120);
    // Unknown logins are limited the same way; other accounts are not affected.
    for (let i = 0; i < 3; i++) await browser.login('ghost@example.com', 'whatever pass');
    expect((await browser.login('ghost@example.com', 'whatever pass')).status).toBe(429);
    expect((await browser.login('ada@example.com')).status).toBe(200);
  });

  it('limits attempts per client address across accounts', async () => {
    const server = await withAccounts({ LOGIN_LIMIT_PER_IP: '4' });
    const browser = new Browser(server.url);
    for (let i = 0; i < 4; i++)
      expect((await browser.login(`user${i}@example.com`, 'whatever pass')).status).toBe(401);
    const limited = await browser.login('ada@example.com');
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatchObject({ code: 'LOGIN_RATE_LIMITED' });
    expect((limited.body.error as { message: string }).message).toMatch(/address/);
  });
});

describe('session management', () => {
  it('lists the account’s sessions, ends one, logs out, and logs out everywhere', async () => {
    const server = await withAccounts();
    const phone = new Browser(server.url, 'Phone/1');
    const laptop = new Browser(server.url, 'Laptop/2');
    const tablet = new Browser(server.url, 'Tablet/3');
    for (const b of [phone, laptop, tablet]) expect((await b.login('bob@example.com')).status).toBe(200);
    await new Browser(server.url).login('ada@example.com');

    const list = await laptop.request('GET', '/api/1/auth/sessions');
    const sessions = list.body.sessions as { id: string; device: string; current: boolean; ip: string }[];
    expect(sessions.map((s) => s.device).sort()).toEqual(['Laptop/2', 'Phone/1', 'Tablet/3']);
    expect(sessions.filter((s) => s.current).map((s) => s.device)).toEqual(['Laptop/2']);
    for (const s of sessions) {
      expect(s).toMatchObject({ ip: '127.0.0.1' });
      expect(Object.keys(s).sort()).toEqual([
        'createdAt',
        'current',
        'device',
        'expiresAt',
        'id',
        'ip',
        'lastSeenAt',
      ]);
    }

    const phoneHandle = sessions.find((s) => s.device === 'Phone/1')!.id;
    expect((await laptop.request('DELETE', `/api/1/auth/sessions/${phoneHandle}`)).body).toEqual({
      ended: 1,
    });
    expect(errorCodeOf(await phone.me())).toBe('SESSION_EXPIRED');
    const again = await laptop.request('DELETE', `/api/1/auth/sessions/${phoneHandle}`);
    expect(again.status).toBe(404);
    expect(errorCodeOf(again)).toBe('SESSION_NOT_FOUND');

    expect((await tablet.request('POST', '/api/1/auth/logout')).body).toEqual({ ended: 1 });
    expect(tablet.cookie).toBeUndefined();
    expect((await laptop.request('GET', '/api/1/auth/sessions')).body.sessions).toHaveLength(1);

    for (const b of [phone, tablet]) await b.login('bob@example.com');
    const keep = await laptop.request('POST', '/api/1/auth/logout-all?keepCurrent=true');
    expect(keep.body).toEqual({ ended: 2 });
    expect((await laptop.me()).status).toBe(200);
    expect(errorCodeOf(await phone.me())).toBe('SESSION_EXPIRED');

    const all = await laptop.request('POST', '/api/1/auth/logout-all');
    expect(all.body).toEqual({ ended: 1 });
    expect(laptop.cookie).toBeUndefined();
    expect(await sessionKeys(server)).toBe(1); // ada's
  });

  it('admits an admin session to admin routes; other roles get 403', async () => {
    const server = await withAccounts();
    const admin = new Browser(server.url);
    await admin.login('ada@example.com');
    const staff = new Browser(server.url);
    await staff.login('bob@example.com');
    expect((await admin.request('GET', '/api/1/admin/cache/cluster')).status).toBe(200);
    const refused = await staff.request('GET', '/api/1/admin/cache/cluster');
    expect(refused.status).toBe(403);
    expect(errorCodeOf(refused)).toBe('FORBIDDEN');
    const anonymous = await new Browser(server.url).request('GET', '/api/1/admin/cache/cluster');
    expect(anonymous.status).toBe(401);
  });

  it('creates the first admin from PLEXUS_ADMIN_EMAIL once, and reports where sessions live', async () => {
    const env = { PLEXUS_ADMIN_EMAIL: 'Root@Example.com', PLEXUS_ADMIN_PASSWORD: PASSWORD };
    const server = await start(env);
    await server.plexus.auth.start();
    const root = await server.plexus.auth.accounts.findByLogin('root@example.com');
    expect(root).toMatchObject({ roles: ['admin'], disabled: false });
    const browser = new Browser(server.url);
    expect((await browser.login('root@example.com')).status).toBe(200);
    expect((await browser.request('GET', '/api/1/health/sessions')).body).toEqual({
      backend: 'redis',
      shared: true,
      local: 0,
      pendingLogoutAll: 0,
      pendingLogouts: 0,
      durable: null,
      localCache: expect.objectContaining({ maxAgeMs: 2000, entries: 0 }),
      outageCopies: { entries: expect.any(Number), served: 0, graceMs: 300_000 },
      epochs: 0,
    });
  });
});

describe('the Fastify adapter', () => {
  /** A route that sets one session field after a pause, so two requests overlap. */
  const counterRoutes: RoutePlugin = async (app) => {
    app.post<{ Querystring: { field: string; value: string; delay: number } }>(
      '/test/session-field',
      {
        schema: {
          querystring: {
            type: 'object',
            properties: { field: { type: 'string' }, value: { type: 'string' }, delay: { type: 'integer' } },
          },
        },
      },
      async (request) => {
        const session = await request.requireSession();
        await sleep(request.query.delay);
        session.set(request.query.field, request.query.value);
        return { data: session.data() };
      },
    );
  };

  it('keeps both writes of two parallel requests of one session (per-field merge)', async () => {
    const server = await withAccounts({}, [counterRoutes]);
    const browser = new Browser(server.url);
    await browser.login('bob@example.com');
    const [slow, fast] = await Promise.all([
      browser.request('POST', '/test/session-field?field=cart&value=3-items&delay=150'),
      browser.request('POST', '/test/session-field?field=theme&value=dark&delay=0'),
    ]);
    expect(slow.status).toBe(200);
    expect(fast.status).toBe(200);
    const record = await server.plexus.sessions.load(browser.cookie!.split('=')[1]!.split('.')[0]!, {
      touch: false,
    });
    expect(record?.data).toEqual({ cart: '3-items', theme: 'dark' });
  });
});
