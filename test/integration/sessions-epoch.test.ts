/**
 * Logout-all that no outage can dodge (src/sessions/epochs.ts), with two instances on distinct
 * connections and a Redis of the test's own stopped for real: Redis stops (SIGSTOP, or SIGKILL and
 * a restart with no data); the user signs in on B (session V, kept in B's process); on A the user
 * signs in and logs out everywhere; Redis comes back, to A first or to B first (each instance
 * reaches Redis through its own TCP gate, opened in the chosen order). V must be dead on both
 * instances, at once and after the local copies' age. The same on a Redis Cluster (every node
 * paused; both instances come back at once, in whatever order they manage).
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { uniquePrefix } from '../support/redis.js';
import { Browser, errorCodeOf, FAST_HASHING, PASSWORD } from '../support/sessions-helpers.js';
import { TcpGate } from '../support/tcp-gate.js';
import {
  type RedisClusterHandle,
  type RedisSingleHandle,
  sleep,
  startCluster,
  startSingle,
  waitFor,
} from '../support/topology.js';
import { type EngineTarget, sqliteTarget } from './db/fixtures.js';
import { type Running, startServer } from './server/harness.js';

/** Tries per case here; the chaos suite (bench/chaos/) runs 20 and more per order. */
const TRIES = 2;
/** Each try waits for two instances to notice an outage and to come back: seconds on a busy machine. */
const TRY_BUDGET_MS = 90_000;
const LOGIN = 'ada@example.com';

interface Instance {
  server: Running;
  gate: TcpGate | undefined;
}

async function health(server: Running): Promise<Record<string, unknown>> {
  return (await new Browser(server.url).request('GET', '/api/1/health/sessions')).body;
}

async function settled(instance: Instance): Promise<void> {
  await waitFor('back on Redis, nothing pending', async () => {
    const h = await health(instance.server);
    return (
      h['backend'] === 'redis' && h['pendingLogoutAll'] === 0 && h['pendingLogouts'] === 0 && h['local'] === 0
    );
  });
}

async function degraded(instance: Instance): Promise<void> {
  await waitFor('degraded', async () => (await health(instance.server))['backend'] === 'memory');
}

/** Status and code of /auth/me for a cookie on a server, without keeping what it answers. */
async function meWith(
  cookie: string,
  server: Running,
): Promise<{ status: number; code: string | undefined }> {
  const browser = new Browser(server.url);
  browser.cookie = cookie;
  const result = await browser.me();
  return { status: result.status, code: errorCodeOf(result) };
}

/** One try: V made on B during the outage, logout-all on A, Redis back to `first` first. */
async function tryOnce(
  a: Instance,
  b: Instance,
  outage: { stop: () => Promise<void> | void; start: () => Promise<void> | void },
  first: 'A' | 'B' | 'together',
): Promise<string> {
  await Promise.all([settled(a), settled(b)]);
  await outage.stop();
  await Promise.all([degraded(a), degraded(b)]);
  const onB = new Browser(b.server.url, 'B/1');
  expect((await onB.login(LOGIN)).status).toBe(200);
  expect((await onB.me()).status).toBe(200);
  const v = onB.cookie!;
  const onA = new Browser(a.server.url, 'A/1');
  expect((await onA.login(LOGIN)).status).toBe(200);
  expect((await onA.request('POST', '/api/1/auth/logout-all')).status).toBe(200);
  // The logout-all is honoured at once where it was made.
  expect((await meWith(v, a.server)).status).not.toBe(200);

  if (first === 'together') {
    await outage.start();
    await Promise.all([settled(a), settled(b)]);
  } else {
    const [early, late] = first === 'A' ? [a, b] : [b, a];
    late.gate!.close();
    await outage.start();
    await settled(early);
    late.gate!.open();
    await settled(late);
  }
  return v;
}

async function expectDead(v: string, instances: Instance[]): Promise<void> {
  for (const instance of instances) {
    let answer = await meWith(v, instance.server);
    // 503 REDIS_UNAVAILABLE is "cannot tell": a busy machine let a health check time out and the
    // instance left Redis again. Ask again once it is back; a 200 fails at once.
    for (let i = 0; i < 5 && answer.status === 503; i++) {
      await settled(instance);
      answer = await meWith(v, instance.server);
    }
    expect(answer).toEqual({ status: 401, code: 'SESSION_EXPIRED' });
  }
}

describe.each([
  ['not durable', false],
  ['durable', true],
])('logout-all across an outage on a single Redis, %s', (_name, durable) => {
  let redis: RedisSingleHandle;
  let target: EngineTarget;
  const running: Running[] = [];
  const gates: TcpGate[] = [];

  beforeAll(async () => {
    redis = await startSingle();
    target = sqliteTarget();
  });

  afterEach(async () => {
    if (redis.node.paused) redis.node.resume();
    if (!redis.node.running) await redis.node.restart();
    await Promise.all(running.splice(0).map((r) => r.stop()));
    await Promise.all(gates.splice(0).map((g) => g.stop()));
  });

  afterAll(async () => {
    await redis.stop();
    await target.drop();
  });

  async function pair(): Promise<[Instance, Instance]> {
    const prefix = uniquePrefix('epoch');
    const database = `sqlite:${join(target.env.PLEXUS_DATA_DIR!, `${prefix}.db`)}`;
    const instances: Instance[] = [];
    for (let i = 0; i < 2; i++) {
      const gate = await TcpGate.start(redis.node.address);
      gates.push(gate);
      const server = await startServer({
        env: {
          ...FAST_HASHING,
          DATABASE_URL: database,
          REDIS_URL: gate.url,
          REDIS_KEY_PREFIX: prefix,
          REDIS_HEALTH_INTERVAL_MS: '200',
          REDIS_BREAKER_RESET_MS: '200',
          ...(durable ? { SESSION_DURABLE: 'true', SESSION_DURABLE_FLUSH_MS: '100' } : {}),
        },
      });
      running.push(server);
      instances.push({ server, gate });
    }
    const accounts = instances[0]!.server.plexus.auth.accounts;
    await accounts.create({ login: LOGIN, password: PASSWORD, roles: ['player'] });
    return [instances[0]!, instances[1]!];
  }

  const paused = () => ({ stop: () => redis.node.pause(), start: () => redis.node.resume() });
  const emptied = () => ({ stop: () => redis.node.kill(), start: () => redis.node.restart() });

  it.each(['A', 'B'] as const)(
    'Redis paused, back to %s first: V is dead everywhere',
    async (first) => {
      const [a, b] = await pair();
      for (let t = 0; t < TRIES; t++) {
        const v = await tryOnce(a, b, paused(), first);
        await expectDead(v, [a, b]);
        // Past the local copies' age, nothing has brought it back.
        if (t === 0) {
          await sleep(2100);
          await expectDead(v, [a, b]);
        }
      }
    },
    TRY_BUDGET_MS,
  );

  it.each(['A', 'B'] as const)(
    'Redis restarted empty, back to %s first: V is dead everywhere',
    async (first) => {
      const [a, b] = await pair();
      for (let t = 0; t < TRIES; t++) {
        const v = await tryOnce(a, b, emptied(), first);
        await expectDead(v, [a, b]);
      }
    },
    TRY_BUDGET_MS,
  );

  it(
    'a single logout on A of a session B made during the outage holds, back to A first',
    async () => {
      const [a, b] = await pair();
      await Promise.all([settled(a), settled(b)]);
      redis.node.pause();
      await Promise.all([degraded(a), degraded(b)]);
      const onB = new Browser(b.server.url, 'B/1');
      expect((await onB.login(LOGIN)).status).toBe(200);
      const v = onB.cookie!;
      const onA = new Browser(a.server.url);
      onA.cookie = v;
      // A cannot know V (B keeps it): 503 without durable mode, or the database copy when durable.
      await onA.request('POST', '/api/1/auth/logout');
      const sessionId = v.split('=')[1]!.split('.')[0]!;
      await a.server.plexus.sessions.destroy(sessionId);
      b.gate!.close();
      redis.node.resume();
      await settled(a);
      b.gate!.open();
      await settled(b);
      await expectDead(v, [a, b]);
    },
    TRY_BUDGET_MS,
  );

  it(
    'logout-all keeping the current session keeps it, across the outage too',
    async () => {
      const [a, b] = await pair();
      await Promise.all([settled(a), settled(b)]);
      const current = new Browser(a.server.url, 'A/1');
      expect((await current.login(LOGIN)).status).toBe(200);
      const other = new Browser(b.server.url, 'B/1');
      expect((await other.login(LOGIN)).status).toBe(200);
      // Used just before the outage: served from A's outage copy while Redis is away.
      expect((await current.me()).status).toBe(200);
      redis.node.pause();
      await Promise.all([degraded(a), degraded(b)]);
      expect((await current.request('POST', '/api/1/auth/logout-all?keepCurrent=true')).status).toBe(200);
      redis.node.resume();
      await Promise.all([settled(a), settled(b)]);
      expect((await meWith(current.cookie!, a.server)).status).toBe(200);
      expect((await meWith(current.cookie!, b.server)).status).toBe(200);
      await expectDead(other.cookie!, [a, b]);
    },
    TRY_BUDGET_MS,
  );
});

describe('logout-all across an outage on a Redis Cluster', () => {
  let cluster: RedisClusterHandle;
  let target: EngineTarget;
  const running: Running[] = [];

  beforeAll(async () => {
    cluster = await startCluster();
    target = sqliteTarget();
  }, 60_000);

  afterEach(async () => {
    for (const node of cluster.nodes) if (node.paused) node.resume();
    await Promise.all(running.splice(0).map((r) => r.stop()));
  });

  afterAll(async () => {
    await cluster.stop();
    await target.drop();
  });

  it('every node paused, both instances back at once: V is dead everywhere', async () => {
    const prefix = uniquePrefix('epoch-cluster');
    const instances: Instance[] = [];
    for (let i = 0; i < 2; i++) {
      const server = await startServer({
        env: {
          ...FAST_HASHING,
          DATABASE_URL: `sqlite:${join(target.env.PLEXUS_DATA_DIR!, `${prefix}.db`)}`,
          REDIS_MODE: 'cluster',
          REDIS_CLUSTER_NODES: cluster.seeds,
          REDIS_KEY_PREFIX: prefix,
          REDIS_HEALTH_INTERVAL_MS: '200',
          REDIS_BREAKER_RESET_MS: '200',
        },
      });
      running.push(server);
      instances.push({ server, gate: undefined });
    }
    const [a, b] = [instances[0]!, instances[1]!];
    await a.server.plexus.auth.accounts.create({ login: LOGIN, password: PASSWORD, roles: ['player'] });
    const outage = {
      stop: () => {
        for (const node of cluster.nodes) node.pause();
      },
      start: () => {
        for (const node of cluster.nodes) node.resume();
      },
    };
    for (let t = 0; t < TRIES; t++) {
      const v = await tryOnce(a, b, outage, 'together');
      await expectDead(v, [a, b]);
    }
  }, 120_000);
});
