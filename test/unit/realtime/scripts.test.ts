/**
 * The realtime Lua scripts and their JavaScript twins give the same replies: one sequence of
 * calls (publish, position, recover; presence join, leave, beat, sync, read, online, with an
 * instance whose entries expire) runs on a real Redis and on a MemoryStore, and the replies are compared.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  realtimePosition,
  realtimePresence,
  realtimePublish,
  realtimeRecover,
} from '../../../src/realtime/scripts.js';
import { Keys } from '../../../src/redis/keys.js';
import { RedisLayer } from '../../../src/redis/layer.js';
import { MemoryStore } from '../../../src/redis/memory/memory-store.js';
import type { ScriptReply } from '../../../src/redis/script.js';
import type { Store } from '../../../src/redis/store.js';
import { singleConfig } from '../../support/redis.js';

type Call = (store: Store, keys: Keys, now: number) => Promise<ScriptReply>;

const meta = (k: Keys) => k.realtime.meta('ep', 'room:r');
const hist = (k: Keys) => k.realtime.history('ep', 'room:r');
const scope = (k: Keys) => [
  k.realtime.presenceInstances('ep', 'room:r'),
  k.realtime.presenceUsers('ep', 'room:r'),
  k.realtime.presenceConnections('ep', 'room:r'),
  k.realtime.presenceTotals('ep', 'room:r'),
];
const publish: Call = (s, k) =>
  s.runScript(
    realtimePublish,
    [meta(k), hist(k)],
    ['E1', 3, 60_000, `${k.prefix}:ch:x`, 'PUBLISH', 'i1 room:r ', '{"o":', '}'],
  );
const presence =
  (op: string, instance: string, ...rest: (string | number)[]): Call =>
  (s, k, now) =>
    s.runScript(realtimePresence, scope(k), [op, instance, now, 1000, '', 'PUBLISH', 'p ', 'h', ...rest]);

const CALLS: [string, Call][] = [
  ['position of a new stream', (s, k) => s.runScript(realtimePosition, [meta(k)], ['E0', 60_000])],
  ['publish 1', publish],
  ['publish 2', publish],
  ['recover from 1', (s, k) => s.runScript(realtimeRecover, [meta(k), hist(k)], ['E0', 1, 'E9', 60_000])],
  ['recover from 0', (s, k) => s.runScript(realtimeRecover, [meta(k), hist(k)], ['E0', 0, 'E9', 60_000])],
  ['publish 3', publish],
  ['publish 4', publish],
  [
    'recover beyond the history',
    (s, k) => s.runScript(realtimeRecover, [meta(k), hist(k)], ['E0', 0, 'E9', 60_000]),
  ],
  [
    'recover another epoch',
    (s, k) => s.runScript(realtimeRecover, [meta(k), hist(k)], ['E5', 3, 'E9', 60_000]),
  ],
  [
    'recover from the future',
    (s, k) => s.runScript(realtimeRecover, [meta(k), hist(k)], ['E0', 9, 'E9', 60_000]),
  ],
  ['a joins u1', presence('join', 'a', 'u1')],
  ['a joins u1 again', presence('join', 'a', 'u1')],
  ['b joins u1', presence('join', 'b', 'u1')],
  ['b joins anonymous', presence('join', 'b', '')],
  ['b joins u2', presence('join', 'b', 'u2')],
  ['read', presence('read', 'a')],
  ['online u1', presence('online', 'a', 'u1')],
  ['a leaves u1', presence('leave', 'a', 'u1')],
  ['a beats', presence('beat', 'a')],
  ['read after', presence('read', 'a')],
  ['a syncs', presence('sync', 'a', 3, 'u1', 2, 'u3', 1)],
  ['read synced', presence('read', 'b')],
  ['b leaves u2', presence('leave', 'b', 'u2')],
  ['c, never joined, beats', presence('beat', 'c')],
];

describe('realtime scripts: Lua and JavaScript twin agree', () => {
  let layer: RedisLayer;
  const memory = new MemoryStore();

  beforeAll(async () => {
    layer = new RedisLayer(singleConfig());
    await layer.connect();
  });

  afterAll(async () => {
    await layer.close();
  });

  it('gives the same replies to the same calls', async () => {
    const keys = layer.keys;
    const memKeys = new Keys(keys.prefix);
    const now = Date.now();
    for (const [name, call] of CALLS) {
      const [redis, local] = [await call(layer.store, keys, now), await call(memory, memKeys, now)];
      expect(normalise(local), name).toEqual(normalise(redis));
    }
    // b's entries expire (TTL 1000 ms): the next call sweeps them, on both.
    const later = now + 1500;
    for (const [name, call] of [
      ['a beats later', presence('beat', 'a')],
      ['read later', presence('read', 'a')],
      ['online u2 later', presence('online', 'a', 'u2')],
    ] as [string, Call][]) {
      expect(normalise(await call(memory, memKeys, later)), name).toEqual(
        normalise(await call(layer.store, keys, later)),
      );
    }
  });
});

function normalise(reply: ScriptReply): unknown {
  if (Array.isArray(reply)) return reply.map(normalise);
  return typeof reply === 'number' ? reply : reply === null ? null : String(reply);
}
