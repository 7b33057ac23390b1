/**
 * Sessions while Redis is unreachable (a Redis of the test's own, paused with SIGSTOP): logins go
 * on in the process and health says so; when Redis answers again, the sessions made meanwhile move
 * into it and logout-alls made meanwhile end the sessions kept there.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RoutePlugin } from '../../src/server/context.js';
import { uniquePrefix } from '../support/redis.js';
import { Browser, errorCodeOf, FAST_HASHING, PASSWORD } from '../support/sessions-helpers.js';
import { untilReady } from '../support/states.js';
import { type RedisSingleHandle, startSingle, waitFor } from '../support/topology.js';
import { type Running, startServer } from './server/harness.js';

let redis: RedisSingleHandle;
const running: Running[] = [];

beforeAll(async () => {
  redis = await startSingle();
});

afterEach(async () => {
  if (redis.node.paused) redis.node.resume();
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

afterAll(() => redis.stop());

async function start(env: Record<string, string> = {}, extraRoutes: RoutePlugin[] = []): Promise<Running> {
  const server = await startServer({
    extraRoutes,
    env: {
      ...FAST_HASHING,
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: uniquePrefix('fallback'),
      REDIS_HEALTH_INTERVAL_MS: '200',
      REDIS_BREAKER_RESET_MS: '200',
      ...env,
    },
  });
  running.push(server);
  // A first connect that misses its timeout on a loaded machine starts the instance degraded, by
  // design, and a login made then is kept in the process: the tests below need Redis to hold it.
  await untilReady(server.plexus.redis);
  await server.plexus.auth.accounts.create({
    login: 'ada@example.com',
    password: PASSWORD,
    roles: ['staff'],
  });
  return server;
}

async function health(browser: Browser): Promise<Record<string, unknown>> {
  return (await browser.request('GET', '/api/1/health/sessions')).body;
}

describe('sessions without Redis', () => {
  it('keeps logins going in the process, then moves them to Redis and replays logout-alls', async () => {
    // Without outage copies (SESSION_OUTAGE_GRACE=0; sessions-outage.test.ts covers them).
    const server = await start({ SESSION_OUTAGE_GRACE: '0' });
    const before = new Browser(server.url, 'Before/1');
    expect((await before.login('ada@example.com')).status).toBe(200);

    redis.node.pause();
    // At once (a command timing out) and once the layer knows Redis is down, a session only Redis
    // holds cannot be checked: 503, and the cookie is kept, since the session has not ended.
    const cookie = before.cookie;
    expect((await before.me()).status).toBe(503);
    await waitFor('degraded', async () => (await health(before)).backend === 'memory');
    const unknown = await before.me();
    expect(unknown.status).toBe(503);
    expect(errorCodeOf(unknown)).toBe('REDIS_UNAVAILABLE');
    expect(unknown.headers.get('retry-after')).toBe('1');
    expect(before.cookie).toBe(cookie);
    const during = new Browser(server.url, 'During/1');
    expect((await during.login('ada@example.com')).status).toBe(200);
    expect((await during.me()).status).toBe(200);
    expect(await health(during)).toMatchObject({ backend: 'memory', shared: false, local: 1 });

    // Logout-all now ends what this process holds, and what Redis holds once it is back.
    expect((await during.request('POST', '/api/1/auth/logout-all')).status).toBe(200);
    expect(await health(during)).toMatchObject({ local: 0, pendingLogoutAll: 1 });
    const after = new Browser(server.url, 'After/1');
    expect((await after.login('ada@example.com')).status).toBe(200);

    redis.node.resume();
    await waitFor('recovered', async () => {
      const h = await health(after);
      return h.backend === 'redis' && h.local === 0 && h.pendingLogoutAll === 0;
    });
    expect(errorCodeOf(await before.me())).toBe('SESSION_EXPIRED');
    expect((await after.me()).status).toBe(200);
    const listed = await after.request('GET', '/api/1/auth/sessions');
    expect((listed.body.sessions as { device: string }[]).map((s) => s.device)).toEqual(['After/1']);
  });

  it('without durable mode, a Redis restart without persistence loses the sessions', async () => {
    const server = await start();
    const ada = new Browser(server.url);
    await ada.login('ada@example.com');
    await redis.node.restart();
    await waitFor('reconnected', async () => (await server.plexus.redis.store.ping()) >= 0);
    expect(errorCodeOf(await ada.me())).toBe('SESSION_EXPIRED');
  });

  it('a route asking for the session at hand gets none, and nothing goes unhandled, while only Redis could tell', async () => {
    const atHand: RoutePlugin = async (app) => {
      app.get('/test/at-hand', async (request) => ({ atHand: request.sessionAtHand() !== undefined }));
    };
    const server = await start({}, [atHand]);
    const ada = new Browser(server.url);
    await ada.login('ada@example.com');
    // A read that overlaps the copies' first confirmation keeps nothing (it may have missed a
    // message): the copy below is made once they are trusted, however slow the machine.
    await waitFor('copies trusted', async () => {
      const copies = (await health(ada))['localCache'] as { trusted: boolean } | null;
      return copies?.trusted === true;
    });
    expect((await ada.request('GET', '/test/at-hand')).body).toEqual({ atHand: false });
    // That read only started the load that makes the copy: on a busy machine the next request can
    // arrive before Redis has answered it (the test's client and server share one process, Redis
    // needs a core of its own), so the copy is awaited before the read that must find it.
    await waitFor('the copy made by that read', async () => {
      const copies = (await health(ada))['localCache'] as { entries: number } | null;
      return copies !== null && copies.entries > 0;
    });
    expect((await ada.request('GET', '/test/at-hand')).body).toEqual({ atHand: true });
    redis.node.pause();
    await waitFor('degraded', async () => (await health(ada)).backend === 'memory');
    // The load it starts fails (REDIS_UNAVAILABLE) with nobody awaiting it: the test run would
    // report an unhandled rejection.
    expect((await ada.request('GET', '/test/at-hand')).body).toEqual({ atHand: false });
    await new Promise((resolve) => setTimeout(resolve, 50));
  });

  it('in memory mode (no Redis configured) sessions live in the process by design', async () => {
    const server = await start({ REDIS_MODE: 'memory' });
    const ada = new Browser(server.url);
    await ada.login('ada@example.com');
    expect((await ada.me()).status).toBe(200);
    expect(await health(ada)).toEqual({
      backend: 'memory',
      shared: true,
      local: 0,
      pendingLogoutAll: 0,
      pendingLogouts: 0,
      durable: null,
      // Sessions are in this process already: nothing to copy.
      localCache: null,
      outageCopies: null,
      epochs: 0,
    });
  });
});
