/**
 * The session store conformance suite: the same cases on the in-process store (MemoryStore, the
 * scripts' JavaScript twins), a single Redis, and a Redis Cluster (every script on one key).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keys } from '../../src/redis/keys.js';
import { RedisLayer } from '../../src/redis/layer.js';
import { MemoryStore } from '../../src/redis/memory/memory-store.js';
import type { Store } from '../../src/redis/store.js';
import { loginLimit } from '../../src/sessions/scripts.js';
import { RENEWAL_GRANULARITY_MS, SessionStore } from '../../src/sessions/session-store.js';
import { indexInterval } from '../../src/sessions/user-index.js';
import { singleConfig, uniquePrefix } from '../support/redis.js';
import { untilReady } from '../support/states.js';
import { type RedisClusterHandle, sleep, startCluster } from '../support/topology.js';
import { startUpstashRest, type UpstashRestHandle } from '../support/upstash-rest.js';

interface Backend {
  name: string;
  setup(): Promise<void>;
  store(): Store;
  teardown(): Promise<void>;
}

function memoryBackend(): Backend {
  const store = new MemoryStore();
  return {
    name: 'memory',
    async setup() {},
    store: () => store,
    async teardown() {
      store.close();
    },
  };
}

function layerBackend(
  name: string,
  config: () => Promise<RedisLayer['config']>,
  stop?: () => Promise<void>,
): Backend {
  let layer: RedisLayer;
  return {
    name,
    async setup() {
      layer = new RedisLayer(await config());
      await layer.connect();
      await untilReady(layer);
    },
    store: () => layer.store,
    async teardown() {
      await layer.close();
      await stop?.();
    },
  };
}

let cluster: RedisClusterHandle | undefined;
let rest: UpstashRestHandle | undefined;
const BACKENDS: Backend[] = [
  memoryBackend(),
  layerBackend('redis', async () => singleConfig()),
  layerBackend(
    'cluster',
    async () => {
      cluster = await startCluster();
      return cluster.config();
    },
    async () => cluster?.stop(),
  ),
  layerBackend(
    'rest',
    async () => {
      rest = await startUpstashRest();
      return rest.config();
    },
    async () => rest?.stop(),
  ),
];

const HOUR = 3_600_000;

describe.each(BACKENDS)('session store on $name', (backend) => {
  let clock = Date.now();
  let sessions: SessionStore;
  let keys: Keys;

  beforeAll(async () => {
    await backend.setup();
    keys = new Keys(uniquePrefix('sess'));
    sessions = new SessionStore(backend.store(), keys, () => clock);
  }, 60_000);
  afterAll(() => backend.teardown());

  const alice = { id: 'u-alice', login: 'alice@example.com', roles: ['staff'] };
  const bob = { id: 'u-bob', login: 'bob@example.com', roles: [] };

  it('creates a session and reads it back, renewing it', async () => {
    clock = Date.now();
    const created = await sessions.create({
      user: alice,
      ttlMs: HOUR,
      data: { theme: 'dark', cart: { items: [1, 2] } },
      device: 'Firefox',
      ip: '10.0.0.1',
    });
    expect(created.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(created.version).toBe(1);

    clock += RENEWAL_GRANULARITY_MS;
    const loaded = await sessions.load(created.id, { ip: '10.0.0.2' });
    expect(loaded).toMatchObject({
      id: created.id,
      user: alice,
      data: { theme: 'dark', cart: { items: [1, 2] } },
      createdAt: created.createdAt,
      lastSeenAt: clock,
      expiresAt: clock + HOUR,
      ttlMs: HOUR,
      device: 'Firefox',
      ip: '10.0.0.2',
      version: 1,
    });
    const ttl = await backend.store().pTtl(keys.sessions.session(created.id));
    expect(ttl).toBeGreaterThan(HOUR - 60_000);
    const peek = await sessions.load(created.id, { touch: false });
    expect(peek?.lastSeenAt).toBe(clock);

    // Within the renewal granularity a read does not write: a burst costs one renewal.
    const seenAt = clock;
    clock += RENEWAL_GRANULARITY_MS - 1;
    const burst = await sessions.load(created.id, { ip: '10.0.0.3' });
    expect(burst).toMatchObject({ lastSeenAt: seenAt, expiresAt: seenAt + HOUR, ip: '10.0.0.2' });
    expect(burst?.previousSeenAt).toBeUndefined();
    clock += 1;
    expect(await sessions.load(created.id)).toMatchObject({ lastSeenAt: clock, previousSeenAt: seenAt });
  });

  it('answers null for unknown ids and never creates anything on read', async () => {
    expect(await sessions.load('no-such-session')).toBeNull();
    expect(await backend.store().exists(keys.sessions.session('no-such-session'))).toBe(false);
  });

  it('refuses to create a session whose id is taken', async () => {
    const first = await sessions.create({ id: 'fixed-id', user: null, ttlMs: HOUR });
    await expect(sessions.create({ id: first.id, user: null, ttlMs: HOUR })).rejects.toMatchObject({
      code: 'SESSION_ID_TAKEN',
    });
  });

  it('merges concurrent saves field by field; the later save wins a shared field', async () => {
    const { id } = await sessions.create({
      user: alice,
      ttlMs: HOUR,
      data: { a: 1, b: 1, c: 1, gone: true },
    });
    await Promise.all([
      sessions.write(id, { set: { a: 2, shared: 'first' } }),
      sessions.write(id, { set: { b: 2 }, unset: ['gone'] }),
    ]);
    await sessions.write(id, { set: { shared: 'second' } });
    const loaded = await sessions.load(id);
    expect(loaded?.data).toEqual({ a: 2, b: 2, c: 1, shared: 'second' });
    expect(loaded?.version).toBe(4);
  });

  it('replace overwrites every data field', async () => {
    const { id } = await sessions.create({ user: null, ttlMs: HOUR, data: { a: 1, b: 2 } });
    await sessions.write(id, { set: { c: 3 }, ttlMs: HOUR }, 'replace');
    expect((await sessions.load(id))?.data).toEqual({ c: 3 });
  });

  it('never recreates an ended session on a late save', async () => {
    const { id } = await sessions.create({ user: alice, ttlMs: HOUR });
    expect(await sessions.destroy(id)).toEqual({ userId: alice.id });
    expect(await sessions.write(id, { set: { late: true } })).toBeNull();
    expect(await sessions.write(id, { ttlMs: HOUR })).toBeNull();
    expect(await sessions.load(id)).toBeNull();
    expect(await backend.store().exists(keys.sessions.session(id))).toBe(false);
    expect(await sessions.destroy(id)).toBeNull();
  });

  it('expires a session after its lifetime without activity', async () => {
    clock = Date.now();
    const { id } = await sessions.create({ user: bob, ttlMs: 150 });
    await sleep(400);
    clock = Date.now();
    expect(await sessions.load(id)).toBeNull();
  });

  it('lists a user’s sessions and ends them all, except one on request', async () => {
    clock = Date.now();
    const user = { id: `u-${uniquePrefix()}` };
    const a = await sessions.create({ user, ttlMs: HOUR, device: 'phone' });
    clock += 10;
    const b = await sessions.create({ user, ttlMs: HOUR, device: 'laptop' });
    clock += 10;
    const c = await sessions.create({ user, ttlMs: HOUR, device: 'tablet' });
    const other = await sessions.create({ user: bob, ttlMs: HOUR });

    const listed = await sessions.listUser(user.id);
    expect(listed.map((s) => s.device)).toEqual(['tablet', 'laptop', 'phone']);

    const ended = await sessions.destroyUser(user.id, { exceptId: b.id });
    expect(ended.sort()).toEqual([a.id, c.id].sort());
    expect(await sessions.load(a.id)).toBeNull();
    expect(await sessions.load(c.id)).toBeNull();
    expect(await sessions.load(b.id)).not.toBeNull();
    expect(await sessions.load(other.id)).not.toBeNull();
    expect((await sessions.listUser(user.id)).map((s) => s.id)).toEqual([b.id]);

    expect(await sessions.destroyUser(user.id)).toEqual([b.id]);
    expect(await sessions.listUser(user.id)).toEqual([]);
    expect(await backend.store().exists(keys.sessions.userIndex(user.id))).toBe(false);
  });

  it('moves a session between users’ indexes when its user changes', async () => {
    const carol = { id: `u-${uniquePrefix()}` };
    const dave = { id: `u-${uniquePrefix()}` };
    const { id } = await sessions.create({ user: carol, ttlMs: HOUR });
    const result = await sessions.write(id, { user: dave, ttlMs: HOUR });
    expect(result?.previousUserId).toBe(carol.id);
    expect(await sessions.listUser(carol.id)).toEqual([]);
    expect((await sessions.listUser(dave.id)).map((s) => s.id)).toEqual([id]);
    // Logout-all of the former owner must not end it.
    expect(await sessions.destroyUser(carol.id)).toEqual([]);
    expect(await sessions.load(id)).not.toBeNull();
    await sessions.write(id, { user: null, ttlMs: HOUR });
    expect(await sessions.listUser(dave.id)).toEqual([]);
    expect((await sessions.load(id))?.user).toBeNull();
  });

  it('keeps the user index ahead of every renewal, and renewals within its coverage', async () => {
    clock = Date.now();
    const user = { id: `u-${uniquePrefix()}` };
    const ttl = HOUR;
    const { id } = await sessions.create({ user, ttlMs: ttl });
    const index = keys.sessions.userIndex(user.id);
    const firstScore = await backend.store().zScore(index, id);
    expect(firstScore).toBe(clock + indexInterval(ttl) + ttl);

    // Past the due time a read renews only up to the entry's coverage, then refreshes the entry.
    const createdAt = clock;
    clock += indexInterval(ttl) + 1000;
    const capped = await sessions.load(id);
    expect(capped?.expiresAt).toBe(createdAt + indexInterval(ttl) + ttl);
    const secondScore = await backend.store().zScore(index, id);
    expect(secondScore).toBe(clock + indexInterval(ttl) + ttl);
    clock += RENEWAL_GRANULARITY_MS;
    const loaded = await sessions.load(id);
    expect(loaded?.expiresAt).toBe(clock + ttl);
    expect(loaded!.expiresAt).toBeLessThanOrEqual(secondScore!);

    // Writes renew as well (the Express store renews by writing), so they refresh it too.
    clock += indexInterval(ttl) + 1000;
    await sessions.write(id, { set: { n: 1 } });
    expect(await backend.store().zScore(index, id)).toBe(clock + indexInterval(ttl) + ttl);
    const indexTtl = await backend.store().pTtl(index);
    const sessionTtl = await backend.store().pTtl(keys.sessions.session(id));
    expect(indexTtl).toBeGreaterThanOrEqual(sessionTtl);
  });

  it('prunes index entries of sessions that are gone', async () => {
    clock = Date.now();
    const user = { id: `u-${uniquePrefix()}` };
    const { id } = await sessions.create({ user, ttlMs: HOUR });
    await backend.store().del([keys.sessions.session(id)]);
    expect(await sessions.listUser(user.id)).toEqual([]);
    expect(await backend.store().zCard(keys.sessions.userIndex(user.id))).toBe(0);
  });

  it('restores a saved session unless one with its id exists or it has expired', async () => {
    clock = Date.now();
    const user = { id: `u-${uniquePrefix()}`, login: 'erin@example.com', roles: ['player'] };
    const { id } = await sessions.create({
      user,
      ttlMs: HOUR,
      data: { score: 3, nested: { ok: true } },
      device: 'Safari',
      ip: '::1',
      cookie: { path: '/', httpOnly: true },
    });
    await sessions.write(id, { set: { score: 4 } });
    const saved = (await sessions.load(id, { touch: false }))!;
    await sessions.destroy(id);

    expect(await sessions.restore(saved)).toBe(true);
    expect(await sessions.restore(saved)).toBe(false);
    const back = await sessions.load(id, { touch: false });
    expect(back).toMatchObject({
      user,
      data: { score: 4, nested: { ok: true } },
      createdAt: saved.createdAt,
      lastSeenAt: saved.lastSeenAt,
      expiresAt: saved.expiresAt,
      version: 2,
      device: 'Safari',
      ip: '::1',
      cookie: { path: '/', httpOnly: true },
    });
    expect((await sessions.listUser(user.id)).map((s) => s.id)).toEqual([id]);
    expect(await sessions.restore({ ...saved, id: 'expired-one', expiresAt: clock - 1 })).toBe(false);
    expect(await sessions.load('expired-one')).toBeNull();
  });

  it('counts, enumerates and clears every session', async () => {
    const local = new SessionStore(backend.store(), new Keys(uniquePrefix('sess')), () => clock);
    clock = Date.now();
    const created = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        local.create({ user: i % 2 ? { id: `u${i % 3}` } : null, ttlMs: HOUR }),
      ),
    );
    expect(await local.count()).toBe(25);
    const seen: string[] = [];
    for await (const batch of local.ids()) seen.push(...batch);
    expect(seen.sort()).toEqual(created.map((s) => s.id).sort());
    expect(await local.clear()).toBe(25);
    expect(await local.count()).toBe(0);
    expect(await local.listUser('u1')).toEqual([]);
  });

  it('limits login attempts per counter in a fixed window', async () => {
    const key = keys.sessions.loginAccount(`x-${uniquePrefix()}`);
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await backend.store().runScript(loginLimit, [key], [3, 60_000]));
    expect(results.slice(0, 3)).toEqual([
      [1, 2],
      [1, 1],
      [1, 0],
    ]);
    const [allowed, retryMs] = results[3] as [number, number];
    expect(allowed).toBe(0);
    expect(retryMs).toBeGreaterThan(55_000);
    expect(retryMs).toBeLessThanOrEqual(60_000);
  });
});
