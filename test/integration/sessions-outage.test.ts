/**
 * Sessions through a Redis outage (SESSION_OUTAGE_GRACE, src/sessions/outage-copies.ts), with a
 * Redis of the test's own paused for real: sessions this instance served before the outage keep
 * answering 200 throughout it, a logout made during it is honoured at once and after it, the grace
 * bounds how long a copy is served, and in durable mode a session this instance never saw is read
 * from the database.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { uniquePrefix } from '../support/redis.js';
import { Browser, errorCodeOf, FAST_HASHING, PASSWORD } from '../support/sessions-helpers.js';
import { type RedisSingleHandle, sleep, startSingle, waitFor } from '../support/topology.js';
import { type EngineTarget, sqliteTarget } from './db/fixtures.js';
import { type Running, startServer } from './server/harness.js';

let redis: RedisSingleHandle;
let target: EngineTarget;
const running: Running[] = [];

beforeAll(async () => {
  redis = await startSingle();
  target = sqliteTarget();
});

afterEach(async () => {
  if (redis.node.paused) redis.node.resume();
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

afterAll(async () => {
  await redis.stop();
  await target.drop();
});

async function start(prefix: string, env: Record<string, string> = {}): Promise<Running> {
  const server = await startServer({
    env: {
      ...FAST_HASHING,
      DATABASE_URL: `sqlite:${join(target.env.PLEXUS_DATA_DIR!, `${prefix}.db`)}`,
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: prefix,
      REDIS_HEALTH_INTERVAL_MS: '200',
      REDIS_BREAKER_RESET_MS: '200',
      ...env,
    },
  });
  running.push(server);
  return server;
}

async function signIn(server: Running, login: string, create = true): Promise<Browser> {
  if (create) await server.plexus.auth.accounts.create({ login, password: PASSWORD, roles: ['player'] });
  const browser = new Browser(server.url, `${login}/1`);
  expect((await browser.login(login)).status).toBe(200);
  return browser;
}

/** /auth/me for every browser every 50 ms for `ms`; the statuses seen. */
async function hammer(browsers: Browser[], ms: number): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const results = await Promise.all(browsers.map((b) => b.me()));
    for (const r of results) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    await sleep(50);
  }
  return statuses;
}

describe('sessions through a Redis outage', () => {
  it('serves the sessions it served lately for the whole of a 5 s pause, and honours a logout made meanwhile', async () => {
    const server = await start(uniquePrefix('outage'));
    const users = await Promise.all(['a', 'b', 'c'].map((n) => signIn(server, `${n}@example.com`)));
    for (const user of users) expect((await user.me()).status).toBe(200);
    const leaving = await signIn(server, 'd@example.com');
    expect((await leaving.me()).status).toBe(200);
    const cookie = leaving.cookie!;
    // A session only Redis knows (made, never read here): not served from a copy.
    const unseen = new Browser(server.url);
    unseen.cookie = (await signIn(server, 'e@example.com')).cookie;

    redis.node.pause();
    const during = hammer(users, 5000);
    await sleep(300);
    expect((await leaving.request('POST', '/api/1/auth/logout')).status).toBe(200);
    const gone = new Browser(server.url);
    gone.cookie = cookie;
    expect(errorCodeOf(await gone.me())).toBe('SESSION_EXPIRED');
    expect(errorCodeOf(await unseen.me())).toBe('REDIS_UNAVAILABLE');
    const statuses = await during;
    redis.node.resume();
    expect([...statuses.keys()]).toEqual([200]);
    expect(statuses.get(200)).toBeGreaterThan(3 * 20);
    await waitFor('back on Redis', async () => server.plexus.redis.state === 'ready');
    for (const user of users) expect((await user.me()).status).toBe(200);
    gone.cookie = cookie;
    expect(errorCodeOf(await gone.me())).toBe('SESSION_EXPIRED');
  });

  it('serves a copy for at most SESSION_OUTAGE_GRACE after it was read', async () => {
    const server = await start(uniquePrefix('outage-grace'), { SESSION_OUTAGE_GRACE: '1500ms' });
    const user = await signIn(server, 'a@example.com');
    expect((await user.me()).status).toBe(200);
    const readAt = Date.now();
    redis.node.pause();
    expect((await user.me()).status).toBe(200);
    await sleep(Math.max(0, readAt + 1600 - Date.now()));
    const late = await user.me();
    expect(late.status).toBe(503);
    expect(errorCodeOf(late)).toBe('REDIS_UNAVAILABLE');
  });

  it('in durable mode serves from the database a session this instance never saw', async () => {
    const prefix = uniquePrefix('outage-durable');
    const durable = { SESSION_DURABLE: 'true', SESSION_DURABLE_FLUSH_MS: '100' };
    const a = await start(prefix, durable);
    const b = await start(prefix, durable);
    const onB = await signIn(b, 'a@example.com');
    await waitFor(
      'copied to the database',
      async () => (await b.plexus.auth.health()).durable?.pending === 0,
    );
    await sleep(200);
    const onA = onB.on(a.url);
    redis.node.pause();
    const statuses = await hammer([onA], 2000);
    expect([...statuses.keys()]).toEqual([200]);
  });
});
