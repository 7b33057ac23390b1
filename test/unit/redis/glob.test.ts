/**
 * The in-process glob matcher (MemoryStore.scan, memory pattern subscriptions) must select the
 * same keys as Redis's own matcher: every pattern is run as SCAN MATCH against a real Redis over
 * the same keys, under a unique prefix.
 */
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { globMatcher } from '../../../src/redis/memory/glob.js';
import { TEST_REDIS_URL, uniquePrefix } from '../../support/redis.js';

const prefix = `${uniquePrefix('glob')}:`;
const names = [
  'a',
  'b',
  'ab',
  'abc',
  'aXc',
  'a.c',
  'a*c',
  'a?c',
  'a[c',
  'a]c',
  'a\\c',
  'hello',
  'hallo',
  'hxllo',
  'hllo',
  'héllo',
  'h\nllo',
  'x',
  '',
];
const patterns = [
  '*',
  'a*',
  '*c',
  'a?c',
  'a??',
  'h[ae]llo',
  'h[^e]llo',
  'h[a-f]llo',
  'h?llo',
  'h*llo',
  'a\\*c',
  'a\\?c',
  'a[[]c',
  'a\\[c',
  'a]c',
  '?',
  'a[bX]*',
  'a\\\\c',
  'h[!e]llo',
  'h??llo',
  'h[é]llo',
];

const client = createClient({ url: TEST_REDIS_URL });

beforeAll(async () => {
  await client.connect();
  for (const name of names) await client.set(prefix + name, '1');
});
afterAll(async () => {
  await client.del(names.map((name) => prefix + name));
  await client.close();
});

async function redisMatches(pattern: string): Promise<string[]> {
  const found: string[] = [];
  for await (const batch of client.scanIterator({ MATCH: prefix + pattern, COUNT: 1000 }))
    found.push(...batch);
  return found.map((key) => key.slice(prefix.length)).sort();
}

describe('globMatcher', () => {
  it.each(patterns)('selects what Redis selects for %j', async (pattern) => {
    const matches = globMatcher(prefix + pattern);
    const ours = names.filter((name) => matches(prefix + name)).sort();
    expect(ours).toEqual(await redisMatches(pattern));
  });
});
