/**
 * The Store conformance suite: the same cases against memory, a single node, Sentinel, Cluster and
 * rest (the local Upstash REST server), each reached through a real `RedisLayer`. Cluster-only
 * cases check what the layer does for the caller there: multi-key calls split by slot, SCAN over
 * every master, sharded pub/sub, and pattern subscriptions refused (also on rest, which polls
 * channels and cannot poll a pattern; its `publish` resolves to 0, the receivers being unknown).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasCode } from '../../src/errors.js';
import type { RedisLayer } from '../../src/redis/layer.js';
import { compareAndDelete } from '../../src/redis/scripts.js';
import type { Store } from '../../src/redis/store.js';
import { hashSlot } from '../../src/redis/topology/slot.js';
import { layerTargets } from '../support/layers.js';
import { parseInfo } from '../support/resp.js';
import { waitFor } from '../support/topology.js';

/** Generous: the machine is shared and loaded; the suite tests behaviour, not latency. */
const ENV = { REDIS_COMMAND_TIMEOUT_MS: '2000' };

async function rejection(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('expected a rejection');
}

async function collect(iterable: AsyncIterable<string[]>): Promise<string[]> {
  const all: string[] = [];
  for await (const batch of iterable) all.push(...batch);
  return all;
}

/** Subscribes (resolving once the server confirmed) and gives the first message received. */
async function subscribeOnce(store: Store, channel: string, pattern = false) {
  let resolve: (value: { message: string; channel: string }) => void = () => {};
  const first = new Promise<{ message: string; channel: string }>((r) => {
    resolve = r;
  });
  const unsubscribe = await store.subscribe(channel, (message, from) => resolve({ message, channel: from }), {
    pattern,
  });
  return { first, unsubscribe };
}

const TARGETS = layerTargets(['memory', 'single', 'sentinel', 'cluster', 'rest']);

describe.each(TARGETS)('Store on $name', (target) => {
  let layer: RedisLayer;
  let store: Store;
  let k: (...parts: string[]) => string;
  /** How many receivers `publish` reports for `n` subscribers: unknown (0) on rest. */
  const receivers = (n: number) => (target.name === 'rest' ? 0 : n);
  const refusesPatterns = target.name === 'cluster' || target.name === 'rest';

  beforeAll(async () => {
    await target.setup();
    layer = await target.layer(ENV);
    store = layer.store;
    k = (...parts) => layer.keys.key('conformance', ...parts);
  }, 60_000);
  afterAll(() => target.teardown(), 30_000);

  it('gets and sets strings and buffers, with NX, XX and PX', async () => {
    expect(await store.get(k('missing'))).toBeNull();
    expect(await store.set(k('s'), 'one')).toBe(true);
    expect(await store.get(k('s'))).toBe('one');
    expect(await store.set(k('s'), 'two', { nx: true })).toBe(false);
    expect(await store.set(k('s'), 'two', { xx: true })).toBe(true);
    expect(await store.set(k('absent'), 'x', { xx: true })).toBe(false);
    expect(await store.get(k('s'))).toBe('two');
    const bytes = Buffer.from([0, 255, 1, 254]);
    await store.set(k('b'), bytes);
    expect(await store.getBuffer(k('b'))).toEqual(bytes);
    expect(await store.set(k('ttl'), 'v', { px: 60_000 })).toBe(true);
    const ttl = await store.pTtl(k('ttl'));
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect(await store.pTtl(k('s'))).toBe(-1);
    expect(await store.pTtl(k('missing'))).toBe(-2);
  });

  it('expires keys', async () => {
    await store.set(k('short'), 'v', { px: 30 });
    await waitFor('expiry', async () => (await store.exists(k('short'))) === false, 2000);
    await store.set(k('pexp'), 'v');
    expect(await store.pExpire(k('pexp'), 60_000)).toBe(true);
    expect(await store.pExpire(k('nothing'), 1000)).toBe(false);
    expect(await store.pTtl(k('pexp'))).toBeGreaterThan(0);
  });

  it('counts, deletes and unlinks', async () => {
    expect(await store.incrBy(k('n'), 5)).toBe(5);
    expect(await store.incrBy(k('n'), -7)).toBe(-2);
    await store.set(k('d1'), '1');
    await store.set(k('d2'), '2');
    expect(await store.exists(k('d1'))).toBe(true);
    expect(await store.del([k('d1'), k('d2'), k('nope')])).toBe(2);
    expect(await store.exists(k('d1'))).toBe(false);
    await store.set(k('u'), '1');
    expect(await store.unlink([k('u')])).toBe(1);
    expect(await store.del([])).toBe(0);
  });

  it('reports Redis errors as REDIS_COMMAND_FAILED without degrading', async () => {
    await store.set(k('text'), 'abc');
    expect((await rejection(store.incrBy(k('text'), 1))).code).toBe('REDIS_COMMAND_FAILED');
    const wrongType = await rejection(store.hGet(k('text'), 'f'));
    expect(wrongType.code).toBe('REDIS_COMMAND_FAILED');
    expect(wrongType.message).toMatch(/WRONGTYPE/);
    expect(layer.state).toBe(target.name === 'memory' ? 'memory' : 'ready');
  });

  it('handles hashes', async () => {
    expect(await store.hSet(k('h'), { a: '1', b: 2 })).toBe(2);
    expect(await store.hSet(k('h'), { b: '3', c: 'x' })).toBe(1);
    expect(await store.hGet(k('h'), 'b')).toBe('3');
    expect(await store.hGet(k('h'), 'zz')).toBeNull();
    expect(await store.hGetAll(k('h'))).toEqual({ a: '1', b: '3', c: 'x' });
    expect(await store.hIncrBy(k('h'), 'a', 10)).toBe(11);
    expect(await store.hDel(k('h'), ['a', 'b', 'zz'])).toBe(2);
    expect(await store.hGetAll(k('none'))).toEqual({});
    expect(await store.hDel(k('h'), ['c'])).toBe(1);
    expect(await store.exists(k('h'))).toBe(false);
  });

  it('handles sets', async () => {
    expect(await store.sAdd(k('set'), ['a', 'b', 'a'])).toBe(2);
    expect(await store.sCard(k('set'))).toBe(2);
    expect((await store.sMembers(k('set'))).sort()).toEqual(['a', 'b']);
    expect(await store.sRem(k('set'), ['a', 'x'])).toBe(1);
    expect(await store.sMembers(k('none'))).toEqual([]);
    expect(await store.sAdd(k('set'), [])).toBe(0);
  });

  it('handles sorted sets, including infinite bounds and ties', async () => {
    expect(
      await store.zAdd(k('z'), [
        { score: 2, member: 'b' },
        { score: 1, member: 'a' },
        { score: 2, member: 'a2' },
        { score: 3.5, member: 'c' },
      ]),
    ).toBe(4);
    expect(await store.zScore(k('z'), 'c')).toBe(3.5);
    expect(await store.zScore(k('z'), 'none')).toBeNull();
    expect(await store.zRangeByScore(k('z'), 2, 3.5)).toEqual(['a2', 'b', 'c']);
    expect(await store.zRangeByScore(k('z'), Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, 2)).toEqual([
      'a',
      'a2',
    ]);
    expect(await store.zCard(k('z'))).toBe(4);
    expect(await store.zRemRangeByScore(k('z'), Number.NEGATIVE_INFINITY, 1)).toBe(1);
    expect(await store.zRem(k('z'), ['b', 'nope'])).toBe(1);
    expect(await store.zCard(k('z'))).toBe(2);
  });

  it('handles lists', async () => {
    expect(await store.lPush(k('l'), ['a', 'b', 'c'])).toBe(3);
    expect(await store.lRange(k('l'), 0, -1)).toEqual(['c', 'b', 'a']);
    await store.lTrim(k('l'), 0, 1);
    expect(await store.lRange(k('l'), 0, -1)).toEqual(['c', 'b']);
    expect(await store.lRange(k('l'), -1, -1)).toEqual(['b']);
  });

  it('gets and deletes many keys across slots, in order', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => k('multi', String(i)));
    // On Cluster these spread over every master; the layer splits the calls by slot.
    expect(new Set(keys.map(hashSlot)).size).toBeGreaterThan(30);
    for (const [i, key] of keys.entries()) if (i % 3 !== 0) await store.set(key, `v${i}`);
    const values = await store.mGet(keys);
    expect(values).toEqual(keys.map((_, i) => (i % 3 === 0 ? null : `v${i}`)));
    expect(await store.mGet([])).toEqual([]);
    expect(await store.del(keys)).toBe(keys.filter((_, i) => i % 3 !== 0).length);
    expect(await store.mGet(keys)).toEqual(keys.map(() => null));
  });

  it('scans every key that matches, over every master, with glob characters escaped', async () => {
    const keys = Array.from({ length: 300 }, (_, i) => layer.keys.key('scan[x]', String(i)));
    await Promise.all(keys.map((key) => store.set(key, '1')));
    await store.set(layer.keys.key('scanx', 'decoy'), '1');
    const found = await collect(store.scan(layer.keys.pattern('scan[x]'), 50));
    expect(new Set(found).size).toBe(300);
    expect(new Set(found)).toEqual(new Set(keys));
    const masters = await target.masters();
    if (target.name === 'cluster') {
      expect(masters.length).toBe(3);
      const owners = await Promise.all(keys.map((key) => target.cluster!.masterOfSlot(hashSlot(key))));
      expect(new Set(owners).size).toBe(3);
    }
  });

  it('runs a script, and reloads it after SCRIPT FLUSH (EVALSHA, NOSCRIPT, EVAL)', async () => {
    const key = k('lock');
    const masters = await target.masters();
    // EVAL calls made here only (rest also runs EVAL to write bytes that are not UTF-8).
    const evalCalls = async () => {
      const stats = parseInfo(await masters[0]!.command(['INFO', 'commandstats']));
      return Number(/^calls=(\d+),/.exec(stats['cmdstat_eval'] ?? 'calls=0,')?.[1]);
    };
    const evalsBefore = target.cluster || masters.length === 0 ? 0 : await evalCalls();
    await store.set(key, 'token-1');
    expect(await store.runScript(compareAndDelete, [key], ['other'])).toBe(0);
    expect(await store.runScript(compareAndDelete, [key], ['token-1'])).toBe(1);
    expect(await store.exists(key)).toBe(false);

    for (const master of masters) expect(await master.command(['SCRIPT', 'FLUSH'])).toBe('OK');
    await store.set(key, 'token-2');
    expect(await store.runScript(compareAndDelete, [key], ['token-2'])).toBe(1);
    if (masters.length > 0) {
      const owner = target.cluster ? await target.cluster.masterOfSlot(hashSlot(key)) : masters[0]!;
      expect(await owner.command(['SCRIPT', 'EXISTS', compareAndDelete.sha1])).toEqual([1]);
      // EVAL ran exactly twice (the first run on this node, and after the flush); EVALSHA otherwise.
      const stats = parseInfo(await owner.command(['INFO', 'commandstats']));
      if (target.cluster) expect(stats['cmdstat_eval']).toMatch(/^calls=2,/);
      else expect((await evalCalls()) - evalsBefore).toBe(2);
      expect(stats['cmdstat_evalsha']).toMatch(/^calls=[3-9],/);
    }
    const arity = await rejection(store.runScript(compareAndDelete, [key, k('x')], ['t']));
    expect(arity.code).toBe('PLEXUS_INVALID_ARGUMENT');
  });

  it('publishes to subscribers and stops after unsubscribe', async () => {
    const channel = layer.keys.channel('conformance', 'a');
    const received: string[] = [];
    const unsubscribe = await store.subscribe(channel, (message) => received.push(message));
    const other = await subscribeOnce(store, channel);
    expect(await store.publish(channel, 'hello')).toBeGreaterThanOrEqual(receivers(1));
    expect(await other.first).toEqual({ message: 'hello', channel });
    await waitFor('delivery', () => received.length === 1);
    await unsubscribe();
    // 'after' would arrive before a later message on a channel of the same slot (same connection).
    await store.publish(channel, 'after');
    let i = 0;
    while (hashSlot(layer.keys.channel('control', i)) !== hashSlot(channel)) i++;
    const control = await subscribeOnce(store, layer.keys.channel('control', i));
    await store.publish(layer.keys.channel('control', i), 'flush');
    await control.first;
    expect(received).toEqual(['hello']);
    await other.unsubscribe();
  });

  it('delivers on many channels (one per shard on Cluster)', async () => {
    const channels = Array.from({ length: 12 }, (_, i) => layer.keys.channel('conformance', 'many', i));
    const got = new Map<string, string>();
    await Promise.all(channels.map((c) => store.subscribe(c, (message) => got.set(c, message))));
    for (const channel of channels) expect(await store.publish(channel, `to ${channel}`)).toBe(receivers(1));
    await waitFor('every channel', () => got.size === channels.length, 5000);
    for (const channel of channels) expect(got.get(channel)).toBe(`to ${channel}`);
    if (target.cluster) {
      // Sharded: each channel is known only to the master that owns its slot.
      for (const channel of channels.slice(0, 3)) {
        const owner = await target.cluster.masterOfSlot(hashSlot(channel));
        expect(await owner.command(['PUBSUB', 'SHARDCHANNELS', channel])).toEqual([channel]);
      }
    }
  });

  it(
    refusesPatterns
      ? 'refuses pattern subscriptions with PLEXUS_UNSUPPORTED'
      : 'delivers to pattern subscriptions',
    async () => {
      const pattern = `${layer.keys.channel('conformance', 'p')}:*`;
      const channel = layer.keys.channel('conformance', 'p', 'one');
      if (refusesPatterns) {
        const error = await rejection(store.subscribe(pattern, () => {}, { pattern: true }));
        expect(hasCode(error, 'PLEXUS_UNSUPPORTED')).toBe(true);
        return;
      }
      const subscription = await subscribeOnce(store, pattern, true);
      expect(await store.publish(channel, 'm')).toBe(1);
      expect(await subscription.first).toEqual({ message: 'm', channel });
    },
  );

  it('pings', async () => {
    expect(await store.ping()).toBeGreaterThanOrEqual(0);
  });
});
