/**
 * The key builder: every key and channel carries the prefix; tagged keys of one family share a
 * Cluster slot whatever their other parts; caller-supplied braces cannot change the slot; SCAN
 * patterns escape glob characters.
 */
import { describe, expect, it } from 'vitest';
import { Keys } from '../../../src/redis/keys.js';
import { globToRegExp } from '../../../src/redis/memory/glob.js';
import { hashSlot } from '../../../src/redis/topology/slot.js';

const keys = new Keys('app');

describe('Keys', () => {
  it('prefixes every key and channel', () => {
    expect(keys.key('cache', 'user', 42)).toBe('app:cache:user:42');
    expect(keys.channel('bus', 'orders')).toBe('app:ch:bus:orders');
    expect(keys.tagged('job', 'lease')).toBe('app:{job}:lease');
    expect(new Keys('other').key('cache')).toBe('other:cache');
  });

  it('puts keys with the same tag in the same slot, and untagged keys across slots', () => {
    const tagged = ['lease', 'fence', 'owner:instance-7', 'x'.repeat(200)].map((part) =>
      keys.tagged('job:nightly', part),
    );
    expect(new Set(tagged.map(hashSlot)).size).toBe(1);
    expect(hashSlot(tagged[0]!)).toBe(hashSlot('job:nightly'));
    const spread = Array.from({ length: 50 }, (_, i) => keys.key('item', i));
    expect(new Set(spread.map(hashSlot)).size).toBeGreaterThan(40);
  });

  it('escapes braces in caller parts, so they cannot pick or change a slot', () => {
    const hostile = keys.key('user', '{victim}');
    expect(hostile).toBe('app:user:%7Bvictim%7D');
    expect(hashSlot(hostile)).not.toBe(hashSlot('victim'));
    const tagged = keys.tagged('a}b', '{c}');
    expect(tagged).toBe('app:{a%7Db}:%7Bc%7D');
    expect(hashSlot(tagged)).toBe(hashSlot('a%7Db'));
  });

  it('builds SCAN patterns that match only the family, with glob characters escaped', () => {
    const pattern = keys.pattern('cache', 'user[1]*?');
    expect(pattern).toBe('app:cache:user\\[1\\]\\*\\?:*');
    const regex = globToRegExp(pattern);
    expect(regex.test(keys.key('cache', 'user[1]*?', 'a'))).toBe(true);
    expect(regex.test(keys.key('cache', 'user1x', 'a'))).toBe(false);
    expect(regex.test(keys.key('cache', 'user[1]*?'))).toBe(false);
  });
});
