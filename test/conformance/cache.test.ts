/**
 * The cache conformance suite: one set of cases on every backend — memory mode (L1 alone), an
 * in-process L2 shared by three caches, a single Redis and a Redis Cluster. Cases that need
 * several instances run where L2 is shared.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Cache, WarmProgress } from '../../src/cache/index.js';
import { hasCode } from '../../src/errors.js';
import { type CacheBackend, type CacheGroup, cacheBackends, eventually } from '../support/cache-backends.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function codeOf(promise: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    return (error as { code?: string }).code ?? `untyped: ${String(error)}`;
  }
  return 'no error';
}

describe.each(cacheBackends())('cache on $name', (backend: CacheBackend) => {
  let group: CacheGroup;
  let cache: Cache;

  beforeAll(() => backend.setup(), 60_000);
  afterAll(() => backend.teardown());
  afterEach(() => group?.close());

  async function start(count = 1, config = {}): Promise<Cache[]> {
    group = await backend.group(count, config);
    cache = group.caches[0]!;
    return group.caches;
  }

  it('round-trips JSON values and raw bytes', async () => {
    await start();
    const values: Record<string, unknown> = {
      object: { a: 1, nested: { list: [1, 'two', null, true] }, text: 'é😀' },
      string: 'plain',
      number: 42.5,
      zero: 0,
      nothing: null,
      flag: false,
      list: [{ x: 1 }, []],
    };
    for (const [key, value] of Object.entries(values)) await cache.set(key, value);
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await cache.set('bytes', bytes);
    for (const [key, value] of Object.entries(values)) expect(await cache.get(key)).toEqual(value);
    const back = await cache.get<Buffer>('bytes');
    expect(Buffer.isBuffer(back)).toBe(true);
    expect(back!.equals(bytes)).toBe(true);
    if (group.store !== undefined) {
      // Stored as binary: a 256-byte value plus an 18-byte header, not base64 or JSON.
      const raw = await group.store.getBuffer(group.keys.cache.entry('default', 'bytes'));
      expect(raw!.length).toBe(256 + 18);
    }
    expect(await cache.get('missing')).toBeUndefined();
  });

  it('getOrSet loads once, then serves the same decoded copy', async () => {
    await start();
    let calls = 0;
    const loader = () => {
      calls++;
      return { at: new Date(0), n: calls };
    };
    const first = await cache.getOrSet('k', loader);
    const second = await cache.getOrSet('k', loader);
    expect(calls).toBe(1);
    // What every instance reads: the JSON form, also for the caller that loaded it.
    expect(first).toEqual({ at: '1970-01-01T00:00:00.000Z', n: 1 });
    expect(second).toEqual(first);
    const stats = cache.localStats().namespaces['default']!;
    expect(stats).toMatchObject({ misses: 1, loaderCalls: 1, l1Hits: 1 });
  });

  it('concurrent misses on one instance call the loader once', async () => {
    await start();
    let calls = 0;
    const loader = async () => {
      calls++;
      await sleep(20);
      return 'v';
    };
    const results = await Promise.all(Array.from({ length: 100 }, () => cache.getOrSet('hot', loader)));
    expect(results.every((r) => r === 'v')).toBe(true);
    expect(calls).toBe(1);
    expect(cache.localStats().totals.coalesced).toBe(99);
  });

  it('peek answers from the in-process copy only, without I/O, and counts the hit', async () => {
    await start();
    expect(cache.peek('p')).toBeUndefined();
    expect(await cache.getOrSet('p', () => ({ n: 1 }))).toEqual({ n: 1 });
    expect(cache.peek('p')).toEqual({ n: 1 });
    expect(cache.localStats().namespaces['default']).toMatchObject({ l1Hits: 1 });
    await cache.delete('p');
    expect(cache.peek('p')).toBeUndefined();
    expect(await codeOf(() => cache.peek(''))).toBe('PLEXUS_INVALID_ARGUMENT');
  });

  it('a peeker answers as peek does for its key: writes, deletes, tags, clears and expiry', async () => {
    await start();
    const ns = cache.namespace('pk');
    const read = ns.peeker<{ n: number }>('p');
    expect(read()).toBeUndefined();
    await ns.getOrSet('p', () => ({ n: 1 }), { tags: ['t'] });
    expect(read()).toEqual({ n: 1 });
    expect(read()).toBe(ns.peek('p'));
    expect(cache.localStats().namespaces['pk']).toMatchObject({ l1Hits: 3 });
    await ns.set('p', { n: 2 });
    expect(read()).toEqual({ n: 2 });
    await ns.delete('p');
    expect(read()).toBeUndefined();
    await ns.set('p', { n: 3 }, { tags: ['t'] });
    expect(read()).toEqual({ n: 3 });
    await ns.deleteByTag('t');
    expect(read()).toBeUndefined();
    await ns.set('p', { n: 4 });
    expect(read()).toEqual({ n: 4 });
    ns.dropLocal('p');
    expect(read()).toBe(ns.peek('p'));
    await ns.set('p', { n: 5 });
    expect(read()).toEqual({ n: 5 });
    await ns.clear();
    expect(read()).toBeUndefined();
    // Long enough to be read back on a loaded machine; then it must expire by itself.
    await ns.set('p', { n: 6 }, { ttl: 1000 });
    expect(read()).toEqual({ n: 6 });
    await eventually(() => read() === undefined, 10_000);
    expect(ns.peek('p')).toBeUndefined();
    expect(await codeOf(() => ns.peeker(''))).toBe('PLEXUS_INVALID_ARGUMENT');
  });

  it('a loader error reaches the caller and nothing is cached', async () => {
    await start();
    const failure = new Error('source down');
    await expect(cache.getOrSet('k', () => Promise.reject(failure))).rejects.toBe(failure);
    expect(await cache.getOrSet('k', () => 'ok')).toBe('ok');
    expect(cache.localStats().totals).toMatchObject({ loaderErrors: 1, loaderCalls: 2 });
  });

  it('expires entries after their ttl', async () => {
    await start();
    let calls = 0;
    const loader = () => ++calls;
    expect(await cache.getOrSet('t', loader, { ttl: 40 })).toBe(1);
    expect(await cache.getOrSet('t', loader, { ttl: 40 })).toBe(1);
    await sleep(60);
    expect(await cache.get('t')).toBeUndefined();
    expect(await cache.getOrSet('t', loader, { ttl: '40ms' })).toBe(2);
  });

  it('serves a stale value within grace when the loader fails, and counts it', async () => {
    await start();
    await cache.set('g', 'old', { ttl: 30, grace: '1m' });
    await cache.set('nograce', 'old', { ttl: 30 });
    await sleep(50);
    const failing = () => Promise.reject(new Error('db down'));
    expect(await cache.getOrSet('g', failing, { ttl: 30, grace: '1m' })).toBe('old');
    await expect(cache.getOrSet('nograce', failing)).rejects.toThrow('db down');
    let seen: unknown;
    expect(
      await cache.getOrSet('g', ({ stale }) => {
        seen = stale;
        return 'new';
      }),
    ).toBe('new');
    expect(seen).toBe('old');
    expect(cache.localStats().totals.staleServed).toBe(1);
  });

  it('deletes keys', async () => {
    await start();
    await cache.set('d', 1);
    expect(await cache.delete('d')).toBe(true);
    expect(await cache.get('d')).toBeUndefined();
    expect(await cache.delete('d')).toBe(false);
  });

  it('deletes by tag within a namespace', async () => {
    await start();
    const users = cache.namespace('users');
    await users.set('1', 'a', { tags: ['team:1'] });
    await users.set('2', 'b', { tags: ['team:1', 'vip'] });
    await users.set('3', 'c', { tags: ['team:2'] });
    await cache.set('1', 'other namespace', { tags: ['team:1'] });
    expect(await users.deleteByTag('team:1')).toBe(2);
    expect(await users.get('1')).toBeUndefined();
    expect(await users.get('2')).toBeUndefined();
    expect(await users.get('3')).toBe('c');
    expect(await cache.get('1')).toBe('other namespace');
    expect(await users.deleteByTag(['vip', 'nobody'])).toBe(0);
  });

  it('isolates namespaces; clear reaches children but not look-alikes', async () => {
    await start();
    const a = cache.namespace('a');
    const child = a.namespace('child');
    const lookalike = cache.namespace('ab');
    for (const ns of [cache, a, child, lookalike]) await ns.set('k', ns.name);
    expect(await a.get('k')).toBe('a');
    expect(await child.get('k')).toBe('a/child');
    expect(await a.clear()).toBe(2);
    expect(await a.get('k')).toBeUndefined();
    expect(await child.get('k')).toBeUndefined();
    expect(await lookalike.get('k')).toBe('ab');
    expect(await cache.get('k')).toBe('default');
    await cache.clear();
    expect(await lookalike.get('k')).toBeUndefined();
    expect(await cache.get('k')).toBeUndefined();
  });

  it('clear removes every entry of a namespace, spread over every shard', async () => {
    await start();
    const ns = cache.namespace('many');
    await Promise.all(Array.from({ length: 300 }, (_, i) => ns.set(`key-${i}`, i, { tags: [`t${i % 3}`] })));
    expect(await ns.clear()).toBe(300);
    for (let i = 0; i < 300; i += 37) expect(await ns.get(`key-${i}`)).toBeUndefined();
    if (group.store !== undefined) {
      const left: string[] = [];
      for await (const batch of group.store.scan(group.keys.cache.clearPattern('many'))) left.push(...batch);
      expect(left).toEqual([]);
    }
  });

  it('warms keys with progress, skips cached ones and records failures', async () => {
    await start();
    const ns = cache.namespace('warm');
    const keys = Array.from({ length: 50 }, (_, i) => `s${i}`);
    const seen: WarmProgress[] = [];
    const report = await ns.warm(keys, async (key) => ({ key }), {
      concurrency: 4,
      onProgress: (p) => seen.push(p),
      progressIntervalMs: 0,
    });
    expect(report).toMatchObject({ done: 50, total: 50, loaded: 50, skipped: 0, failed: 0, aborted: false });
    expect(seen.at(-1)).toMatchObject({ done: 50, total: 50 });
    expect(seen.length).toBeGreaterThan(2);
    expect(report.rate).toBeGreaterThan(0);
    expect(await ns.get('s7')).toEqual({ key: 's7' });

    async function* more() {
      yield* keys.slice(0, 10);
      yield 'bad';
      yield '';
    }
    const again = await ns.warm(more(), (key) => (key === 'bad' ? Promise.reject(new Error('nope')) : key));
    expect(again).toMatchObject({ done: 12, total: null, skipped: 10, loaded: 0, failed: 2 });
    expect(again.failures.map((f) => f.key)).toEqual(expect.arrayContaining(['bad', '']));

    const refreshed = await ns.warm(keys.slice(0, 5), (key) => `fresh ${key}`, { refresh: true });
    expect(refreshed.loaded).toBe(5);
    expect(await ns.get('s1')).toBe('fresh s1');
  });

  it('counts per namespace and reports cluster totals', async () => {
    await start();
    const ns = cache.namespace('st');
    await ns.getOrSet('a', () => 1);
    await ns.getOrSet('a', () => 1);
    await ns.get('nope');
    const local = cache.localStats();
    expect(local.namespaces['st']).toMatchObject({ l1Hits: 1, misses: 2, loaderCalls: 1, l1Entries: 1 });
    expect(local.namespaces['st']!.hitRate).toBeCloseTo(1 / 3);
    expect(local.namespaces['st']!.l1Bytes).toBeGreaterThan(0);
    const stats = await cache.stats();
    if (group.store === undefined) {
      expect(stats.cluster).toBeNull();
      expect(local.mode).toBe('l1-only');
    } else {
      expect(stats.cluster?.namespaces['st']).toMatchObject({
        l1Hits: 1,
        misses: 2,
        loaderCalls: 1,
        l1Entries: 1,
      });
      expect(stats.cluster?.instances).toBe(1);
    }
  });

  it('refuses bad input with typed errors and stores nothing', async () => {
    await start();
    await cache.set('keep', 'original');
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    const bad: [string, () => unknown][] = [
      ['number key', () => cache.set(42 as unknown as string, 1)],
      ['empty key', () => cache.get('')],
      ['long key', () => cache.get('x'.repeat(2000))],
      ['object key', () => cache.getOrSet({} as unknown as string, () => 1)],
      ['negative ttl', () => cache.set('keep', 'changed', { ttl: -1 })],
      ['NaN ttl', () => cache.set('keep', 'changed', { ttl: Number.NaN })],
      ['zero ttl', () => cache.set('keep', 'changed', { ttl: 0 })],
      ['bad duration', () => cache.set('keep', 'changed', { ttl: '5 parsecs' })],
      ['negative grace', () => cache.getOrSet('keep', () => 'changed', { grace: -5 })],
      ['unknown option', () => cache.set('keep', 'changed', { tll: 5 } as never)],
      ['lock on set', () => cache.set('keep', 'changed', { lock: true } as never)],
      ['bad tags', () => cache.set('keep', 'changed', { tags: [''] })],
      ['no loader', () => cache.getOrSet('keep', undefined as never)],
      ['bad namespace', () => cache.namespace('a:b')],
    ];
    for (const [what, call] of bad)
      expect(`${what}: ${await codeOf(call)}`).toBe(`${what}: PLEXUS_INVALID_ARGUMENT`);

    const values: [string, unknown][] = [
      ['cycle', cyclic],
      ['BigInt', 10n],
      ['function', () => 1],
      ['undefined', undefined],
      ['nested function', { f: () => 1 }],
      ['NaN', { n: Number.NaN }],
      ['Map', new Map([[1, 2]])],
      ['symbol', { s: Symbol('x') }],
      ['nested bytes', { b: Buffer.from('x') }],
    ];
    for (const [what, value] of values) {
      expect(`${what}: ${await codeOf(cache.set('keep', value))}`).toBe(`${what}: CACHE_UNSERIALIZABLE`);
      expect(`${what}: ${await codeOf(cache.set('fresh', value))}`).toBe(`${what}: CACHE_UNSERIALIZABLE`);
    }
    expect(await codeOf(cache.getOrSet('fresh', () => undefined))).toBe('CACHE_UNSERIALIZABLE');
    expect(await codeOf(cache.getOrSet('fresh', () => 10n))).toBe('CACHE_UNSERIALIZABLE');
    expect(await cache.get('keep')).toBe('original');
    expect(await cache.get('fresh')).toBeUndefined();
    if (group.store !== undefined) {
      expect(await group.store.exists(group.keys.cache.entry('default', 'fresh'))).toBe(false);
    }
    await cache.close();
    expect(hasCode(await captured(() => cache.get('keep')), 'CACHE_CLOSED')).toBe(true);
  });

  describe.runIf(backend.shared)('several instances', () => {
    it('a write on one instance invalidates the L1 of the others', async () => {
      const [a, b, c] = await start(3);
      await a!.set('user', { v: 1 });
      expect(await b!.get('user')).toEqual({ v: 1 });
      expect(await c!.get('user')).toEqual({ v: 1 });
      await a!.set('user', { v: 2 });
      await eventually(
        async () => (await b!.get('user')) !== undefined && (await c!.get<{ v: number }>('user'))?.v === 2,
      );
      expect(await b!.get('user')).toEqual({ v: 2 });
      await c!.delete('user');
      await eventually(
        async () => (await a!.get('user')) === undefined && (await b!.get('user')) === undefined,
      );
      expect(b!.localStats().invalidation.received).toBeGreaterThan(0);
    });

    it('peek never serves a copy another instance changed', async () => {
      const [a, b] = await start(2);
      await a!.set('p', { v: 1 });
      // b keeps what it reads only once its L1 is trusted (its own probe came back): read until it does.
      await eventually(async () => (await b!.get('p')) !== undefined && b!.peek('p') !== undefined);
      expect(b!.peek('p')).toEqual({ v: 1 });
      await a!.set('p', { v: 2 });
      await eventually(() => b!.peek<{ v: number }>('p') === undefined);
      expect(await b!.get('p')).toEqual({ v: 2 });
    });

    it('a peeker never serves a copy another instance changed, deleted or cleared', async () => {
      const [a, b] = await start(2);
      const read = b!.peeker<{ v: number }>('pk');
      await a!.set('pk', { v: 1 }, { tags: ['t'] });
      await eventually(async () => (await b!.get('pk')) !== undefined && read() !== undefined);
      expect(read()).toEqual({ v: 1 });
      await a!.set('pk', { v: 2 }, { tags: ['t'] });
      await eventually(() => read() === undefined);
      // b's next read fills its copy again (a fill racing the invalidation is skipped: read again).
      await eventually(async () => (await b!.get<{ v: number }>('pk'))?.v === 2 && read()?.v === 2);
      await a!.deleteByTag('t');
      await eventually(() => read() === undefined);
      await a!.set('pk', { v: 3 });
      await eventually(async () => (await b!.get<{ v: number }>('pk'))?.v === 3 && read()?.v === 3);
      await a!.delete('pk');
      await eventually(() => read() === undefined);
      expect(await b!.get('pk')).toBeUndefined();
    });

    it('namespace clears and tag deletes reach every instance', async () => {
      const [a, b, c] = await start(3);
      for (const cache of [a!, b!, c!]) {
        await cache.namespace('n').getOrSet('x', () => 'x');
        await cache.namespace('n').getOrSet('y', () => 'y', { tags: ['t'] });
      }
      expect(b!.localStats().namespaces['n']!.l1Entries).toBe(2);
      await a!.namespace('n').deleteByTag('t');
      await eventually(() => [b!, c!].every((x) => x.localStats().namespaces['n']?.l1Entries === 1));
      await c!.namespace('n').clear();
      await eventually(() => [a!, b!].every((x) => (x.localStats().namespaces['n']?.l1Entries ?? 0) === 0));
    });

    it('with lock: true, 200 concurrent misses over three instances call the loader once', async () => {
      const caches = await start(3);
      let calls = 0;
      const loader = async () => {
        calls++;
        await sleep(50);
        return { built: calls };
      };
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => caches[i % 3]!.getOrSet('expensive', loader, { lock: true })),
      );
      expect(calls).toBe(1);
      expect(results.every((r) => r.built === 1)).toBe(true);
    });
  });
});

async function captured(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  return undefined;
}
