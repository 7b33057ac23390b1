/**
 * The express-session Store: an Express 5 app with `app.use(session({ store }))` over Plexus
 * sessions, on the in-process store and on Redis. Covers the Store API (get, set, destroy, touch,
 * all, length, clear), parallel requests of one session, logout-all and sharing with the Fastify
 * adapter.
 */

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import express from 'express';
import session from 'express-session';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRedisConfig } from '../../src/config/redis.js';
import { PlexusSessionStore } from '../../src/express/index.js';
import type { Keys } from '../../src/redis/keys.js';
import { RedisLayer } from '../../src/redis/layer.js';
import { Sessions } from '../../src/sessions/sessions.js';
import { singleConfig, uniquePrefix } from '../support/redis.js';
import { sleep } from '../support/topology.js';

declare module 'express-session' {
  interface SessionData {
    userId?: string;
    cart?: string[];
    theme?: string;
    visits?: number;
  }
}

const SECRET = 'an-express-session-secret-of-32-characters';
const HOUR = 3_600_000;

const BACKENDS = [
  {
    name: 'memory',
    config: () => loadRedisConfig({ REDIS_MODE: 'memory', REDIS_KEY_PREFIX: uniquePrefix('exp') }),
  },
  { name: 'redis', config: () => singleConfig() },
];

/** A cookie jar for one browser of the Express app. */
class Client {
  cookie: string | undefined;
  constructor(readonly base: string) {}
  async get(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${this.base}${path}`, {
      headers: this.cookie ? { cookie: this.cookie } : {},
    });
    const set = response.headers.getSetCookie().find((c) => c.startsWith('connect.sid='));
    if (set !== undefined) this.cookie = set.slice(0, set.indexOf(';'));
    const text = await response.text();
    return {
      status: response.status,
      body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
    };
  }
  get sid(): string {
    // connect.sid=s%3A<sid>.<signature>
    return decodeURIComponent(this.cookie!.split('=')[1]!).slice(2).split('.')[0]!;
  }
}

describe.each(BACKENDS)('express-session Store on $name', (backend) => {
  let layer: RedisLayer;
  let sessions: Sessions;
  let store: PlexusSessionStore;
  let server: Server;
  let base: string;
  let keys: Keys;

  beforeAll(async () => {
    layer = new RedisLayer(backend.config());
    await layer.connect();
    keys = layer.keys;
    sessions = new Sessions(layer, { ttlMs: HOUR });
    await sessions.start();
    store = new PlexusSessionStore(sessions);

    const app = express();
    app.use(
      session({
        store,
        secret: SECRET,
        resave: false,
        saveUninitialized: false,
        rolling: true,
        cookie: { httpOnly: true, sameSite: 'lax', maxAge: HOUR },
      }),
    );
    app.get('/login/:user', (req, res, next) => {
      req.session.regenerate((error) => {
        if (error) return next(error);
        req.session.userId = req.params.user;
        res.json({ ok: true });
      });
    });
    app.get('/visit', (req, res) => {
      req.session.visits = (req.session.visits ?? 0) + 1;
      res.json({ visits: req.session.visits, userId: req.session.userId ?? null });
    });
    app.get('/cart/:item', async (req, res) => {
      await sleep(Number(req.query.delay ?? 0));
      req.session.cart = [...(req.session.cart ?? []), req.params.item];
      res.json({ cart: req.session.cart });
    });
    app.get('/theme/:theme', (req, res) => {
      req.session.theme = req.params.theme;
      res.json({ theme: req.session.theme });
    });
    app.get('/me', (req, res) => {
      res.json({
        userId: req.session.userId ?? null,
        cart: req.session.cart ?? [],
        theme: req.session.theme ?? null,
      });
    });
    app.get('/logout', (req, res, next) => {
      req.session.destroy((error) => (error ? next(error) : res.json({ ok: true })));
    });
    server = app.listen(0);
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await sessions.clear();
    await sessions.close();
    await layer.close();
  });

  it('implements get, set, touch, destroy, all, length and clear', async () => {
    const get = promisify(store.get.bind(store));
    const set = promisify(store.set.bind(store));
    const destroy = promisify(store.destroy.bind(store));
    const all = promisify(store.all!.bind(store));
    const length = promisify(store.length!.bind(store));
    const clear = promisify(store.clear!.bind(store));
    const touch = (sid: string, data: session.SessionData) =>
      new Promise<void>((resolve, reject) =>
        store.touch!(sid, data, (e?: unknown) => (e ? reject(e) : resolve())),
      );

    await clear();
    expect(await length()).toBe(0);
    const expires = new Date(Date.now() + 60_000);
    const cookie = { originalMaxAge: 60_000, expires, httpOnly: true, path: '/' } as session.Cookie;
    await set('sid-one-0123456789abcdef', { cookie, userId: 'u1', cart: ['a'] });
    await set('sid-two-0123456789abcdef', { cookie, theme: 'dark' } as session.SessionData);

    const one = await get('sid-one-0123456789abcdef');
    expect(one).toMatchObject({
      userId: 'u1',
      cart: ['a'],
      cookie: { originalMaxAge: 60_000, httpOnly: true, path: '/' },
    });
    expect(new Date(one!.cookie.expires as unknown as string).getTime()).toBe(expires.getTime());
    expect(await get('no-such-session-id')).toBeNull();
    expect(await length()).toBe(2);
    const listed = (await all()) as Record<string, session.SessionData>;
    expect(Object.keys(listed).sort()).toEqual(['sid-one-0123456789abcdef', 'sid-two-0123456789abcdef']);
    expect(listed['sid-two-0123456789abcdef']).toMatchObject({ theme: 'dark' });

    const ttlBefore = await layer.store.pTtl(keys.sessions.session('sid-two-0123456789abcdef'));
    const later = { ...cookie, expires: new Date(Date.now() + 3_000_000) } as session.Cookie;
    await touch('sid-two-0123456789abcdef', { cookie: later } as session.SessionData);
    const ttlAfter = await layer.store.pTtl(keys.sessions.session('sid-two-0123456789abcdef'));
    expect(ttlBefore).toBeLessThanOrEqual(60_000);
    expect(ttlAfter).toBeGreaterThan(2_900_000);
    expect(await get('sid-two-0123456789abcdef')).toMatchObject({ theme: 'dark' });

    await destroy('sid-one-0123456789abcdef');
    expect(await get('sid-one-0123456789abcdef')).toBeNull();
    expect(await length()).toBe(1);
    await clear();
    expect(await length()).toBe(0);
    expect(await all()).toEqual({});
  });

  it('serves an Express app: a session per browser, kept across requests, ended by destroy', async () => {
    const alice = new Client(base);
    expect((await alice.get('/visit')).body).toEqual({ visits: 1, userId: null });
    expect(alice.cookie).toMatch(/^connect\.sid=s%3A/);
    expect((await alice.get('/visit')).body).toEqual({ visits: 2, userId: null });
    await alice.get('/login/alice');
    expect((await alice.get('/visit')).body).toEqual({ visits: 1, userId: 'alice' });
    const record = await sessions.load(alice.sid, { touch: false });
    expect(record?.user?.id).toBe('alice');
    expect(record?.cookie).toMatchObject({ httpOnly: true, sameSite: 'lax' });
    // express-session derives it from `expires` and the clock, which may have ticked meanwhile.
    const originalMaxAge = Number(record?.cookie?.['originalMaxAge']);
    expect(originalMaxAge).toBeGreaterThan(HOUR - 1000);
    expect(originalMaxAge).toBeLessThanOrEqual(HOUR);
    await alice.get('/logout');
    expect(await sessions.load(alice.sid, { touch: false })).toBeNull();
  });

  it('keeps the writes of two parallel requests of one session', async () => {
    const bob = new Client(base);
    await bob.get('/login/bob');
    await bob.get('/cart/apple');
    const [slow, fast] = await Promise.all([bob.get('/cart/pear?delay=150'), bob.get('/theme/dark')]);
    expect(slow.body).toEqual({ cart: ['apple', 'pear'] });
    expect(fast.body).toEqual({ theme: 'dark' });
    expect((await bob.get('/me')).body).toEqual({ userId: 'bob', cart: ['apple', 'pear'], theme: 'dark' });
  });

  it('is ended by logout-all (sessions.destroyUser), and never revived by a late save', async () => {
    const carol = new Client(base);
    const carolPhone = new Client(base);
    await carol.get('/login/carol');
    await carolPhone.get('/login/carol');
    const late = carol.get('/cart/late?delay=200');
    await sleep(50);
    expect((await sessions.destroyUser('carol')).length).toBe(2);
    await late;
    expect((await carolPhone.get('/me')).body).toEqual({ userId: null, cart: [], theme: null });
    expect(await sessions.load(carol.sid, { touch: false })).toBeNull();
    expect(await sessions.listUser('carol')).toEqual([]);
  });

  it('shares sessions with the Fastify side: a Plexus session reads as an Express session', async () => {
    const record = await sessions.create({
      user: { id: 'dave', login: 'dave@example.com', roles: ['player'] },
      ttlMs: HOUR,
      data: { theme: 'light' },
    });
    const get = promisify(store.get.bind(store));
    const data = await get(record.id);
    expect(data).toMatchObject({ userId: 'dave', theme: 'light', cookie: { httpOnly: true, path: '/' } });
  });
});
