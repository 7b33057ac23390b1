/**
 * The lease primitives (src/redis/scripts.ts): each Lua script and its JavaScript twin must give
 * the same answers and leave the same state. The same scenario runs on memory, a single node and
 * Cluster, and every target's transcript must equal memory's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisLayer } from '../../src/redis/layer.js';
import { compareAndDelete, compareAndPExpire, releaseIfHeld, renewIfHeld } from '../../src/redis/scripts.js';
import { layerTargets } from '../support/layers.js';

const targets = layerTargets(['memory', 'single', 'cluster', 'rest']);
const transcripts = new Map<string, unknown[]>();

async function outcome(promise: Promise<unknown>): Promise<unknown> {
  try {
    return await promise;
  } catch (error) {
    const e = error as { code?: string; message: string };
    // The message's Redis part (WRONGTYPE, not an integer) must match; the wrapper text may not.
    return { code: e.code, reply: /(WRONGTYPE|not an integer)/.exec(e.message)?.[1] };
  }
}

/** Runs the scenario and returns every answer and observed state, in order. */
async function scenario(layer: RedisLayer): Promise<unknown[]> {
  const store = layer.store;
  const lease = layer.keys.tagged('lease', 'job');
  const log: unknown[] = [];
  const record = async (step: string, promise: Promise<unknown>) => log.push([step, await outcome(promise)]);

  await record('release missing', store.runScript(compareAndDelete, [lease], ['me']));
  await record('renew missing', store.runScript(compareAndPExpire, [lease], ['me', 1000]));
  await store.set(lease, 'me', { px: 5000 });
  await record('renew other', store.runScript(compareAndPExpire, [lease], ['you', 60_000]));
  log.push(['ttl untouched', (await store.pTtl(lease)) <= 5000]);
  await record('renew mine', store.runScript(compareAndPExpire, [lease], ['me', 60_000]));
  log.push(['ttl extended', (await store.pTtl(lease)) > 5000]);
  await record('renew bad ttl', store.runScript(compareAndPExpire, [lease], ['me', 'soon']));
  await record('release other', store.runScript(compareAndDelete, [lease], ['you']));
  await record('still held', store.get(lease));
  await record('release mine', releaseIfHeld(store, lease, 'me'));
  await record('gone', store.exists(lease));
  await store.set(lease, Buffer.from('tok\u00e9n'));
  await record('renew buffer', renewIfHeld(store, lease, 'tok\u00e9n', 10_000));
  await record('renew zero deletes', store.runScript(compareAndPExpire, [lease], ['tok\u00e9n', 0]));
  await record('deleted by zero ttl', store.exists(lease));
  await store.hSet(lease, { f: 'v' });
  await record('wrong type', store.runScript(compareAndDelete, [lease], ['me']));
  await record('arity', store.runScript(compareAndDelete, [], ['me']));
  return log;
}

describe.each(targets)('lease scripts on $name', (target) => {
  beforeAll(() => target.setup(), 60_000);
  afterAll(() => target.teardown(), 30_000);

  it('gives the same answers as every other target', async () => {
    const layer = await target.layer({ REDIS_COMMAND_TIMEOUT_MS: '2000' });
    const transcript = await scenario(layer);
    transcripts.set(target.name, transcript);
    expect(transcript).toContainEqual(['release mine', true]);
    expect(transcript).toContainEqual(['wrong type', { code: 'REDIS_COMMAND_FAILED', reply: 'WRONGTYPE' }]);
    const reference = transcripts.get('memory');
    expect(reference).toBeDefined();
    expect(transcript).toEqual(reference);
  });
});
