/**
 * lua/dashboard_history_add.lua and its JavaScript twin (src/dashboard/scripts.ts) give the same
 * answers and leave the same history: points within the window, at most `keep` of them, the key
 * expiring one window after the last write. Memory, a single node and Cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardHistoryAdd } from '../../src/dashboard/scripts.js';
import type { RedisLayer } from '../../src/redis/layer.js';
import { layerTargets } from '../support/layers.js';

const targets = layerTargets(['memory', 'single', 'cluster']);
const transcripts = new Map<string, unknown[]>();

async function scenario(layer: RedisLayer): Promise<unknown[]> {
  const store = layer.store;
  const key = layer.keys.dashboard.history('i-1');
  const log: unknown[] = [];
  const add = (t: number, keep = 5, window = 10_000) =>
    store.runScript(dashboardHistoryAdd, [key], [t, JSON.stringify([t, 1]), window, keep]);
  const base = 1_700_000_000_000;
  for (let i = 0; i < 4; i++) log.push(['add', await add(base + i * 1000)]);
  log.push(['count kept at 5', await add(base + 4000), await add(base + 5000)]);
  log.push(['oldest dropped', await store.zRangeByScore(key, 0, Number.POSITIVE_INFINITY)]);
  // A point one window and more after the others: the old ones leave, exactly one window old stays.
  log.push(['window', await add(base + 15_000)]);
  log.push(['after window', await store.zRangeByScore(key, 0, Number.POSITIVE_INFINITY)]);
  const ttl = await store.pTtl(key);
  log.push(['expires within the window', ttl > 8000 && ttl <= 10_000]);
  await store.set(key, 'not a zset');
  log.push(['wrong type', await add(base).catch((e: { code?: string }) => e.code)]);
  return log;
}

describe.each(targets)('dashboard_history_add on $name', (target) => {
  beforeAll(() => target.setup(), 120_000);
  afterAll(() => target.teardown(), 30_000);

  it('gives the same answers as every other target', async () => {
    const layer = await target.layer({ REDIS_COMMAND_TIMEOUT_MS: '2000' });
    const transcript = await scenario(layer);
    transcripts.set(target.name, transcript);
    expect(transcript).toContainEqual(['count kept at 5', 5, 5]);
    expect(transcript).toContainEqual(['window', 2]);
    expect(transcript).toContainEqual(['expires within the window', true]);
    const reference = transcripts.get('memory');
    expect(reference).toBeDefined();
    expect(transcript).toEqual(reference);
  });
});
