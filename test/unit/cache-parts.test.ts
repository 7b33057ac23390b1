/** The cache's building blocks on their own: entry codec, L1, fill guard, journal, durations. */
import { describe, expect, it } from 'vitest';
import { EntryCodec } from '../../src/cache/envelope.js';
import { CacheSerializationError } from '../../src/cache/errors.js';
import { Journal } from '../../src/cache/journal.js';
import { L1, type L1Entry, l1Key } from '../../src/cache/l1.js';
import { parseDuration, resolvePolicy } from '../../src/cache/validate.js';
import { FillGuard } from '../../src/coherence/fill-guard.js';
import { loadCacheConfig } from '../../src/config/cache.js';
import { ValidationError } from '../../src/errors.js';

describe('entry codec', () => {
  const codec = new EntryCodec(undefined);

  it('carries the deadlines and tags with the value', () => {
    const data = codec.encode({ a: [1, 'é'] }, 1000.5, Number.POSITIVE_INFINITY, ['x', 'ü-tag']);
    expect(codec.decode(data)).toEqual({
      value: { a: [1, 'é'] },
      freshUntil: 1000.5,
      staleUntil: Number.POSITIVE_INFINITY,
      tags: ['x', 'ü-tag'],
      bytes: data.length,
    });
  });

  it('stores bytes raw, from a Buffer or any Uint8Array', () => {
    const bytes = new Uint8Array([0, 255, 10, 13]);
    const data = codec.encode(bytes.subarray(1), 1, 2, []);
    expect(data.length).toBe(18 + 3);
    const back = codec.decode(data).value as Buffer;
    expect(Buffer.isBuffer(back)).toBe(true);
    expect([...back]).toEqual([255, 10, 13]);
  });

  it('refuses what JSON would alter or cannot encode', () => {
    const cases: unknown[] = [undefined, () => 1, Symbol('s'), 1n, Number.NaN, Number.POSITIVE_INFINITY];
    cases.push({ deep: { list: [1, { f: () => 1 }] } }, new Set([1]), { m: new Map() }, [Buffer.from('a')]);
    for (const value of cases) expect(() => codec.encode(value, 1, 1, [])).toThrow(CacheSerializationError);
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    expect(() => codec.encode(cyclic, 1, 1, [])).toThrow(/circular/);
  });

  it('rejects truncated or foreign data as undecodable', () => {
    expect(() => codec.decode(Buffer.from('{"json":"from elsewhere"}'))).toThrow(CacheSerializationError);
    const data = codec.encode('x', 1, 1, ['tag']);
    expect(() => codec.decode(data.subarray(0, 19))).toThrow(CacheSerializationError);
  });

  it('uses a custom serializer for every value and reads it back', () => {
    const custom = new EntryCodec({
      serialize: (v) => `<${JSON.stringify(v)}>`,
      deserialize: (b) => JSON.parse(b.toString().slice(1, -1)),
    });
    const data = custom.encode({ n: 1 }, 5, 6, []);
    expect(data.subarray(18).toString()).toBe('<{"n":1}>');
    expect(custom.decode(data).value).toEqual({ n: 1 });
    // An entry written by a cache with a custom serializer cannot be read without it.
    expect(() => codec.decode(data)).toThrow(/unknown format/);
  });
});

function entry(ns: string, key: string, bytes: number, extra: Partial<L1Entry> = {}): L1Entry {
  return {
    ns,
    key,
    value: key,
    bytes,
    freshUntil: Number.POSITIVE_INFINITY,
    staleUntil: Number.POSITIVE_INFINITY,
    checkAt: Number.POSITIVE_INFINITY,
    tags: [],
    seq: 0,
    gone: false,
    ...extra,
  };
}

describe('L1', () => {
  it('evicts the least recently used entry past the entry bound', () => {
    const l1 = new L1(3, 1_000_000);
    for (const k of ['a', 'b', 'c']) l1.set(l1Key('n', k), entry('n', k, 10));
    l1.get(l1Key('n', 'a'), 0); // a becomes the most recent: b is now the oldest
    l1.set(l1Key('n', 'd'), entry('n', 'd', 10));
    expect(l1.get(l1Key('n', 'b'), 0)).toBeUndefined();
    expect(l1.size).toBe(3);
    expect(l1.usage('n')).toEqual({ entries: 3, bytes: 30 });
    l1.close();
  });

  it('keeps an entry used regularly while a stream of new entries passes through', () => {
    const l1 = new L1(100, 1_000_000);
    l1.set('hot', entry('n', 'hot', 1));
    for (let i = 0; i < 1000; i++) {
      l1.set(`cold-${i}`, entry('n', `cold-${i}`, 1));
      if (i % 20 === 0) expect(l1.get('hot', 0)).toBeDefined();
    }
    expect(l1.get('hot', 0)).toBeDefined();
    expect(l1.get('cold-0', 0)).toBeUndefined();
    expect(l1.size).toBe(100);
    l1.close();
  });

  it('evicts past the byte bound and never keeps an entry larger than the bound', () => {
    const l1 = new L1(100, 100);
    l1.set('1', entry('n', '1', 40));
    l1.set('2', entry('n', '2', 40));
    l1.set('3', entry('m', '3', 40));
    expect(l1.bytes).toBe(80);
    expect(l1.get('1', 0)).toBeUndefined();
    l1.set('huge', entry('n', 'huge', 101));
    expect(l1.get('huge', 0)).toBeUndefined();
    expect(l1.usage('m')).toEqual({ entries: 1, bytes: 40 });
    l1.close();
  });

  it('drops entries past staleUntil on access and on sweep; clears namespaces with children', () => {
    const l1 = new L1(100, 1000);
    l1.set(l1Key('a', 'old'), entry('a', 'old', 1, { staleUntil: 10 }));
    l1.set(l1Key('a/b', 'x'), entry('a/b', 'x', 1));
    l1.set(l1Key('ab', 'x'), entry('ab', 'x', 1, { tags: ['t'] }));
    expect(l1.get(l1Key('a', 'old'), 10)).toBeUndefined();
    expect(l1.clear('a')).toBe(1);
    expect(l1.size).toBe(1);
    expect(l1.deleteTagged('ab', ['t'])).toBe(1);
    expect(l1.size).toBe(0);
    l1.close();
  });

  it('is off with a zero bound', () => {
    const l1 = new L1(0, 1000);
    l1.set('x', entry('n', 'x', 1));
    expect(l1.size).toBe(0);
    l1.close();
  });
});

describe('fill guard', () => {
  it('refuses a fill when the key was invalidated during the read', () => {
    const guard = new FillGuard();
    const slow = guard.begin();
    const other = guard.begin();
    guard.touch('k');
    expect(guard.end('other-key', other)).toBe(true);
    expect(guard.end('k', slow)).toBe(false);
    const later = guard.begin();
    expect(guard.end('k', later)).toBe(true);
  });

  it('refuses every fill in flight after a clear', () => {
    const guard = new FillGuard();
    const read = guard.begin();
    guard.touchAll();
    expect(guard.end('anything', read)).toBe(false);
  });
});

describe('journal', () => {
  it('merges operations and turns a flood of keys into a namespace clear', () => {
    const journal = new Journal();
    journal.record({ n: 'a', k: ['1', '2'] });
    journal.record({ n: 'a', k: ['2'] });
    journal.record({ n: 'b', g: ['t'] });
    expect(journal.drain()).toEqual([
      { n: 'b', g: ['t'] },
      { n: 'a', k: ['1', '2'] },
    ]);
    expect(journal.empty).toBe(true);
    journal.record({ n: 'big', k: Array.from({ length: 10_001 }, (_, i) => String(i)) });
    expect(journal.drain()).toEqual([{ n: 'big', c: 1 }]);
    journal.record({ n: 'x', k: ['1'] });
    journal.record({ a: 1 });
    expect(journal.drain()).toEqual([{ a: 1 }]);
  });
});

describe('durations and options', () => {
  const rule = { zero: false, infinite: true };

  it('accepts milliseconds and unit strings', () => {
    expect(parseDuration(1500, 'ttl', rule)).toBe(1500);
    expect(parseDuration(0.2, 'ttl', rule)).toBe(1);
    expect(parseDuration('250ms', 'ttl', rule)).toBe(250);
    expect(parseDuration('1.5s', 'ttl', rule)).toBe(1500);
    expect(parseDuration('5m', 'ttl', rule)).toBe(300_000);
    expect(parseDuration('2h', 'ttl', rule)).toBe(7_200_000);
    expect(parseDuration('1d', 'ttl', rule)).toBe(86_400_000);
    expect(parseDuration(Number.POSITIVE_INFINITY, 'ttl', rule)).toBe(Number.POSITIVE_INFINITY);
  });

  it('names the argument in every refusal', () => {
    for (const bad of [-1, Number.NaN, 0, '-5s', '5 years', '', null, {}]) {
      let error: unknown;
      try {
        parseDuration(bad, 'options.ttl', rule);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).details).toEqual({ argument: 'options.ttl' });
    }
  });

  it('fills defaults from the configuration', () => {
    const config = loadCacheConfig({ CACHE_TTL_MS: '1000', CACHE_GRACE_MS: '50' });
    expect(resolvePolicy(undefined, config)).toEqual({
      ttl: 1000,
      l1Ttl: 60_000,
      grace: 50,
      tags: [],
      lock: false,
    });
    expect(resolvePolicy({ ttl: '2s', tags: ['a', 'a', 'b'], lock: true }, config)).toEqual({
      ttl: 2000,
      l1Ttl: 60_000,
      grace: 50,
      tags: ['a', 'b'],
      lock: true,
    });
  });
});
