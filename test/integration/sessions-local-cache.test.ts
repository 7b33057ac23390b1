/**
 * The sessions' local copy across instances, on real Redis (single node and Cluster, each started
 * for this file): two `Sessions` over two layers (separate connections, one key prefix), as two
 * instances of one deployment. Copies live 5 s here (the most allowed), so a change seen by the
 * other instance within a second can only have come from its invalidation message.
 *
 * Failure is injected for real: on a Cluster the master serving the channel's slot is failed over;
 * on a single node the subscriber connection is killed (CLIENT KILL TYPE pubsub) while a session
 * is ended elsewhere, and the server is paused.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RedisLayer } from '../../src/redis/layer.js';
import { hashSlot } from '../../src/redis/topology/slot.js';
import type { LocalSessionCacheStats } from '../../src/sessions/local-cache.js';
import type { SessionUser } from '../../src/sessions/record.js';
import { Sessions } from '../../src/sessions/sessions.js';
import { eventually, type LayerTarget, layerTargets } from '../support/layers.js';
import { uniquePrefix } from '../support/redis.js';

const DAY = 86_400_000;
const MAX_AGE_MS = 5000;
/** Far below MAX_AGE_MS: only an invalidation message explains a change seen this fast. */
const PROPAGATION_MS = 1000;
const ADA: SessionUser = { id: 'u-ada', login: 'ada@example.com', roles: ['staff'] };

interface Pair {
  a: Sessions;
  b: Sessions;
  layers: RedisLayer[];
}

const opened: Sessions[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

/** Two instances of one deployment; resolves once both trust their copies. */
async function pair(target: LayerTarget, env: Record<string, string> = {}): Promise<Pair> {
  const prefix = uniquePrefix('sess-local');
  const layers = [
    await target.layer({ REDIS_KEY_PREFIX: prefix, ...env }),
    await target.layer({ REDIS_KEY_PREFIX: prefix, ...env }),
  ];
  const [a, b] = layers.map(
    (layer, i) =>
      new Sessions(layer, {
        ttlMs: DAY,
        instanceId: `instance-${i}`,
        localCache: { maxAgeMs: MAX_AGE_MS, maxEntries: 1000 },
      }),
  ) as [Sessions, Sessions];
  opened.push(a, b);
  await Promise.all([a.start(), b.start()]);
  await eventually(() => a.health().localCache?.trusted === true && b.health().localCache?.trusted === true);
  return { a, b, layers };
}

/** Loads twice: the second read must come from the local copy. */
async function cachedOn(sessions: Sessions, id: string): Promise<void> {
  expect(await sessions.load(id)).not.toBeNull();
  const hits = sessions.health().localCache!.hits;
  expect(await sessions.load(id)).not.toBeNull();
  expect(sessions.health().localCache!.hits).toBe(hits + 1);
}

describe.each(layerTargets(['single', 'cluster']))('sessions local copy on %s', (target) => {
  beforeAll(() => target.setup(), 60_000);
  afterAll(() => target.teardown());

  it('serves repeated reads from the copy, and a session ended elsewhere is dropped at once', async () => {
    const { a, b } = await pair(target);
    const session = await a.create({ user: ADA, ttlMs: DAY });
    await cachedOn(a, session.id);

    const received = a.health().localCache!.invalidations;
    await b.destroy(session.id);
    await eventually(() => a.health().localCache!.invalidations > received, PROPAGATION_MS);
    expect(await a.load(session.id)).toBeNull();
  });

  it('a change saved on one instance replaces the copy on the other', async () => {
    const { a, b } = await pair(target);
    const session = await a.create({ user: ADA, ttlMs: DAY, data: { theme: 'light' } });
    await cachedOn(a, session.id);
    await b.write(session.id, { set: { theme: 'dark' } });
    await eventually(async () => (await a.load(session.id))?.data['theme'] === 'dark', PROPAGATION_MS);
  });

  it('logout-all drops every copy of the user, on every instance', async () => {
    const { a, b } = await pair(target);
    const laptop = await a.create({ user: ADA, ttlMs: DAY });
    const phone = await a.create({ user: ADA, ttlMs: DAY });
    const other = await a.create({ user: { id: 'u-bob' }, ttlMs: DAY });
    for (const s of [laptop, phone, other]) await cachedOn(a, s.id);

    expect((await b.destroyUser(ADA.id)).sort()).toEqual([laptop.id, phone.id].sort());
    await eventually(async () => (await a.load(laptop.id)) === null, PROPAGATION_MS);
    expect(await a.load(phone.id)).toBeNull();
    expect(await a.load(other.id)).not.toBeNull();
  });

  it('a change made on the instance itself is seen by its next read', async () => {
    const { a } = await pair(target);
    const session = await a.create({ user: ADA, ttlMs: DAY });
    await cachedOn(a, session.id);
    await a.write(session.id, { set: { step: 2 } });
    expect((await a.load(session.id))?.data).toEqual({ step: 2 });
    await a.destroy(session.id);
    expect(await a.load(session.id)).toBeNull();
  });

  it('ignores malformed messages on its channel', async () => {
    const { a, b, layers } = await pair(target);
    const kept = await a.create({ user: ADA, ttlMs: DAY });
    const ended = await a.create({ user: ADA, ttlMs: DAY });
    for (const s of [kept, ended]) await cachedOn(a, s.id);
    const channel = layers[1]!.keys.sessions.channel();
    for (const message of [
      'not json',
      '{"o":"x","t":0,"x":[null,5,"s",{"s":"not-a-list"},{"u":7},{"s":[1,2]}]}',
      '{"o":"x","t":0,"x":"not-a-list"}',
    ]) {
      await layers[1]!.store.publish(channel, message);
    }
    // Messages arrive in order: once this one has, the malformed ones were handled (ignored).
    await b.destroy(ended.id);
    await eventually(async () => (await a.load(ended.id)) === null, PROPAGATION_MS);
    expect(await a.load(kept.id)).not.toBeNull();
    expect(a.health().localCache).toMatchObject({ trusted: true, invalidations: 1 });
  });
});

describe('sessions local copy across a Cluster failover', () => {
  const [target] = layerTargets(['cluster']) as [LayerTarget];
  beforeAll(() => target.setup(), 60_000);
  afterAll(() => target.teardown());

  it("drops every copy when the channel's shard fails over, confirms again, and still hears invalidations", async () => {
    const { a, b, layers } = await pair(target, { REDIS_HEALTH_INTERVAL_MS: '100' });
    const session = await a.create({ user: ADA, ttlMs: DAY });
    await cachedOn(a, session.id);

    const cluster = target.cluster!;
    const channelMaster = await cluster.masterOfSlot(hashSlot(layers[0]!.keys.sessions.channel()));
    // Messages published while the shard moves may be lost: at the layer's topology event the
    // copies must already be gone (the instance's own listener was registered first).
    const atEvent = new Promise<LocalSessionCacheStats>((resolve) =>
      layers[0]!.once('topology', () => resolve(a.health().localCache!)),
    );
    await cluster.failover(channelMaster, { graceful: true });
    expect(await atEvent).toMatchObject({ trusted: false, entries: 0 });

    await eventually(() => a.health().localCache!.trusted && b.health().localCache!.trusted, 10_000);
    const next = await a.create({ user: ADA, ttlMs: DAY });
    await cachedOn(a, next.id);
    await b.destroy(next.id);
    await eventually(async () => (await a.load(next.id)) === null, PROPAGATION_MS);
  }, 60_000);
});

describe('sessions local copy when Redis fails (single node of its own)', () => {
  const [target] = layerTargets(['single']) as [LayerTarget];
  /** Fast detection and recovery, so each test takes about a second. */
  const FAST = { REDIS_HEALTH_INTERVAL_MS: '100', REDIS_BREAKER_RESET_MS: '100' };

  beforeAll(() => target.setup(), 60_000);
  afterAll(() => target.teardown());

  it('a copy is not served once its subscriber connection was lost, and is trusted again after', async () => {
    const prefix = uniquePrefix('sess-local');
    const [layerA, layerB] = [
      await target.layer({ REDIS_KEY_PREFIX: prefix, ...FAST }),
      await target.layer({ REDIS_KEY_PREFIX: prefix, ...FAST }),
    ] as [RedisLayer, RedisLayer];
    const copying = { maxAgeMs: MAX_AGE_MS, maxEntries: 100 };
    const a = new Sessions(layerA, { ttlMs: DAY, localCache: copying });
    // Keeps no copies, so it has no subscriber connection: only a's is cut below, and a hears nothing.
    const b = new Sessions(layerB, { ttlMs: DAY });
    opened.push(a, b);
    await Promise.all([a.start(), b.start()]);
    await eventually(() => a.health().localCache?.trusted === true);
    const session = await a.create({ user: ADA, ttlMs: DAY });
    await cachedOn(a, session.id);

    const [node] = await target.masters();
    await node!.command(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
    await b.destroy(session.id);
    // Not the copy: the session is gone, or (while a's layer recovers from the lost connection)
    // only Redis could tell and is asked.
    const outcome = await a.load(session.id).catch((error: { code?: string }) => error.code);
    expect([null, 'REDIS_UNAVAILABLE']).toContain(outcome);

    // Trusted again once the channel is confirmed; invalidations reach it again.
    await eventually(() => a.health().localCache!.trusted === true);
    expect(await a.load(session.id)).toBeNull();
    const c = new Sessions(layerB, { ttlMs: DAY, localCache: copying });
    opened.push(c);
    await c.start();
    const next = await a.create({ user: ADA, ttlMs: DAY });
    await cachedOn(a, next.id);
    await c.destroy(next.id);
    await eventually(async () => (await a.load(next.id)) === null, PROPAGATION_MS);
  });

  it('a session ended while Redis is unreachable is ended in Redis when it is back', async () => {
    const prefix = uniquePrefix('sess-local');
    const a = new Sessions(await target.layer({ REDIS_KEY_PREFIX: prefix, ...FAST }), { ttlMs: DAY });
    const b = new Sessions(await target.layer({ REDIS_KEY_PREFIX: prefix, ...FAST }), { ttlMs: DAY });
    opened.push(a, b);
    await Promise.all([a.start(), b.start()]);
    const session = await a.create({ user: ADA, ttlMs: DAY });
    const [node] = await target.masters();
    node!.pause();
    try {
      await eventually(() => a.health().backend === 'memory');
      expect(await a.destroy(session.id)).toBeNull();
      expect(a.health().pendingLogouts).toBe(1);
    } finally {
      node!.resume();
    }
    await eventually(() => a.health().pendingLogouts === 0 && b.health().backend === 'redis');
    expect(await b.load(session.id)).toBeNull();
  });

  it('serves no copy while Redis is paused past detection, and trusts again after', async () => {
    const { a } = await pair(target, FAST);
    const [node] = await target.masters();
    const session = await a.create({ user: ADA, ttlMs: DAY });
    await cachedOn(a, session.id);
    node!.pause();
    try {
      await eventually(() => a.health().localCache!.trusted === false);
      expect(a.health().localCache!.entries).toBe(0);
      // Only Redis can tell now: refused as unavailable, not answered from a copy.
      await expect(a.load(session.id)).rejects.toMatchObject({ code: 'REDIS_UNAVAILABLE' });
    } finally {
      node!.resume();
    }
    await eventually(() => a.health().localCache!.trusted === true);
    await cachedOn(a, session.id);
  });
});
