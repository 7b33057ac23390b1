/**
 * hashSlot must agree with Redis itself: every key here is compared with CLUSTER KEYSLOT on a
 * real cluster-enabled redis-server (no slots need to be assigned for KEYSLOT).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSlot } from '../../../src/redis/topology/slot.js';
import { RedisProcess } from '../../support/topology.js';

let server: RedisProcess;

beforeAll(async () => {
  server = await RedisProcess.start({ args: ['--cluster-enabled', 'yes'] });
});
afterAll(() => server.destroy());

describe('hashSlot', () => {
  it('matches CLUSTER KEYSLOT, including hash tag edge cases and non-ASCII keys', async () => {
    const keys = [
      '',
      'a',
      'foo',
      '123456789',
      '{user1000}.following',
      '{user1000}.followers',
      'foo{}{bar}', // empty first tag: the whole key is hashed
      'foo{{bar}}zap', // tag is "{bar"
      'foo{bar}{zap}', // only the first tag counts
      '{}',
      '}{',
      '{a',
      'a}',
      'plexus:{job:nightly}:lease',
      'clé-ünicode-✓',
      '日本語{タグ}',
      'ü{user42}é', // ASCII tag inside non-ASCII text
      '{é}x',
      ...Array.from({ length: 200 }, () =>
        randomBytes(1 + Math.floor(Math.random() * 40)).toString('base64'),
      ),
    ];
    for (const key of keys) {
      expect(hashSlot(key), JSON.stringify(key)).toBe(await server.command(['CLUSTER', 'KEYSLOT', key]));
    }
  });

  it('hashes Buffers by their bytes', () => {
    expect(hashSlot(Buffer.from('{user1000}.x'))).toBe(hashSlot('{user1000}.y'));
    expect(hashSlot(Buffer.from('123456789'))).toBe(12739);
  });
});
