/**
 * One pairing tick (`pairOnce`, what the job runs) pairs every match that is ready, however many:
 * its first script makes a few (an idle tick sends few match ids), and it runs full batches while
 * they come back full. The job of an empty queue backs off (MATCHMAKING_PAIR_IDLE_MS) until a join
 * wakes it. Over the machine's Redis, SQLite.
 */
import { afterEach, expect, it } from 'vitest';
import { pairJobName } from '../../../src/apps/matchmaking/service.js';
import { eventually } from '../../support/bus-backends.js';
import { TEST_REDIS_URL, uniquePrefix } from '../../support/redis.js';
import { type EngineTarget, sqliteTarget } from '../db/fixtures.js';
import { type Instance, startInstance } from './fixture.js';

const open: Instance[] = [];
const targets: EngineTarget[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((i) => i.close()));
  await Promise.all(targets.splice(0).map((t) => t.drop()));
});

/** One instance on the machine's Redis (a prefix of its own) and a SQLite database of its own. */
async function start(env: Record<string, string>): Promise<Instance> {
  const db = sqliteTarget();
  targets.push(db);
  const instance = await startInstance({
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: uniquePrefix('mm-tick'),
    DATABASE_URL: '',
    ...db.env,
    ...env,
  });
  open.push(instance);
  return instance;
}

it.each([
  ['the default batch', {}],
  ['batches of 5', { MATCHMAKING_PAIR_BATCH: '5' }],
])('pairs 30 ready matches in one tick with %s', async (_, env: Record<string, string>) => {
  const { mm } = await start({
    MATCHMAKING_JOBS: 'false',
    MATCHMAKING_PAIR_ON_JOIN: 'false',
    MATCHMAKING_WINDOW_GROWTH: '0',
    ...env,
  });
  // 30 pairs of close ratings, each pair out of the others' window (50, not widening).
  for (let i = 0; i < 60; i++) {
    await mm.join({ players: [{ id: `t${i}`, rating: Math.floor(i / 2) * 160 + (i % 2) }] });
  }
  expect(await mm.pairOnce('1v1', 'any')).toBe(30);
  for (let i = 0; i < 60; i++) expect((await mm.status(`t${i}`)).state).not.toBe('queued');
  expect(await mm.pairOnce('1v1', 'any')).toBe(0);
});

it('lets the ticks of an empty queue pass, and a join wakes its job at once', async () => {
  const { mm, jobs } = await start({
    // The job alone pairs, and without the wake it would look again only in a minute.
    MATCHMAKING_PAIR_ON_JOIN: 'false',
    MATCHMAKING_PAIR_IDLE_MS: '60000',
  });
  const pairJob = async () => (await jobs.list()).find((j) => j.name === pairJobName('1v1', 'any'))!;
  await eventually(async () => (await pairJob()).here.idle, 10_000);
  const before = await pairJob();
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = await pairJob();
  // About 20 ticks at 25 ms: none run, and the next one armed is the back-off's end.
  expect(after.here.runs).toBe(before.here.runs);
  expect(after.nextRunAt! - Date.now()).toBeGreaterThan(30_000);
  await mm.join({ players: [{ id: 'a', rating: 1000 }] });
  await mm.join({ players: [{ id: 'b', rating: 1001 }] });
  await eventually(async () => (await mm.status('a')).state === 'matched', 10_000);
  expect((await mm.status('b')).state).toBe('matched');
  // Once the queue is empty again, so is the job.
  await eventually(async () => (await pairJob()).here.idle, 10_000);
});
