/**
 * Redis killed mid-queue: the queue moves to the database, where two instances pairing at once
 * still never match a player twice; when Redis is back, players who waited in the database move
 * back to Redis with their original join time (their place) as soon as Redis is usable again (not
 * waiting for a pairing run), and are matched from there. Also
 * the one-queue-per-player rule in both places. On SQLite (one instance: instances sharing a file
 * from one process would block each other's synchronous driver) and PostgreSQL (two instances).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { uniquePrefix } from '../../support/redis.js';
import { type RedisSingleHandle, startSingle, waitFor } from '../../support/topology.js';
import { type EngineTarget, postgresTarget, sqliteTarget } from '../db/fixtures.js';
import { type Instance, startInstance } from './fixture.js';

const open: Instance[] = [];
let redis: RedisSingleHandle | undefined;
let db: EngineTarget | undefined;
afterEach(async () => {
  await Promise.all(open.splice(0).map((i) => i.close()));
  await redis?.stop();
  await db?.drop();
});

describe.each([
  ['sqlite', sqliteTarget, 1],
  ['postgres', postgresTarget, 2],
] as const)('the database fallback on %s', (_, makeDb, count) => {
  it('pairs from the database while Redis is dead, then moves waiting players back', async () => {
    redis = await startSingle();
    db = makeDb();
    const env = {
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: uniquePrefix('mm'),
      REDIS_COMMAND_TIMEOUT_MS: '500',
      DATABASE_URL: '',
      ...db.env,
      MATCHMAKING_MODES: '1v1:2x1,2v2:2x2',
      MATCHMAKING_JOBS: 'false',
      MATCHMAKING_WINDOW_GROWTH: '0',
    };
    for (let i = 0; i < count; i++) open.push(await startInstance(env));
    const [one, two] = [open[0]!.mm, open[count - 1]!.mm];

    // In Redis: one queue per player, re-joining is idempotent.
    const first = await one.join({ players: [{ id: 'r1', rating: 1500 }] });
    expect(first).toMatchObject({ state: 'queued', backend: 'redis', position: 0 });
    expect((await two.join({ players: [{ id: 'r1', rating: 1500 }] })).ticket).toBe(first.ticket);
    await expect(two.join({ mode: '2v2', players: [{ id: 'r1' }] })).rejects.toMatchObject({
      code: 'MM_ALREADY_QUEUED',
    });
    await expect(two.join({ mode: '2v2', players: [{ id: 'x' }, { id: 'r1' }] })).rejects.toMatchObject({
      code: 'MM_ALREADY_QUEUED',
    });
    expect((await one.status('x')).state).toBe('idle'); // the party's claim was rolled back
    await expect(one.leave('nobody')).rejects.toMatchObject({ code: 'MM_NOT_QUEUED' });

    await redis.node.kill();
    await waitFor('the queue to move to the database', async () => {
      await one.status('r1').catch(() => undefined);
      await two.status('r1').catch(() => undefined);
      return !one.usingRedis && !two.usingRedis;
    });
    // 20 players far apart in pairs of close ratings, and one without a partner.
    const joined = Date.now();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? one : two).join({
          players: [{ id: `d${i}`, rating: 1000 + Math.floor(i / 2) * 200 + (i % 2) }],
        }),
      ),
    );
    const lonely = await one.join({ players: [{ id: 'late', rating: 4000 }] });
    expect(lonely).toMatchObject({ state: 'queued', backend: 'database' });
    await expect(two.join({ mode: '2v2', players: [{ id: 'late' }] })).rejects.toMatchObject({
      code: 'MM_ALREADY_QUEUED',
    });
    const made = await Promise.all([
      one.pairOnce('1v1', 'any'),
      two.pairOnce('1v1', 'any'),
      one.pairOnce('1v1', 'any'),
    ]);
    expect(made.reduce((s, n) => s + n, 0)).toBe(10);
    const seen = new Map<string, string>();
    for (let i = 0; i < 20; i++) {
      const status = await two.status(`d${i}`);
      expect(status).toMatchObject({
        state: 'matched',
        backend: 'database',
        match: { state: 'waiting', server: null },
      });
      const ids = status.match!.players.map((p) => p.id).sort();
      expect(ids).toEqual([`d${i - (i % 2)}`, `d${i - (i % 2) + 1}`]);
      seen.set(`d${i}`, status.match!.id);
    }
    expect(new Set(seen.values()).size).toBe(10);
    expect(await one.status('late')).toMatchObject({ state: 'queued', backend: 'database', position: 0 });

    // Redis returns (empty: it kept nothing); the waiting player moves back with his place.
    await redis.node.restart();
    await waitFor(
      'Redis to be used again',
      async () => {
        await one.status('late').catch(() => undefined);
        return one.usingRedis;
      },
      15_000,
    );
    // Moved back by the return itself (each instance drains what it may have queued in the
    // database when its layer is ready again), before any pairing run.
    await waitFor('the waiting player back in Redis', async () => {
      const status = await two.status('late').catch(() => undefined);
      return status?.state === 'queued' && status.backend === 'redis';
    });
    expect(await one.pairOnce('1v1', 'any')).toBe(0);
    const moved = await two.status('late');
    expect(moved).toMatchObject({ state: 'queued', backend: 'redis', ticket: lonely.ticket, position: 0 });
    expect(moved.waitedMs!).toBeGreaterThanOrEqual(Date.now() - joined - 1000);
    // Her partner is matched with her within his join (pairing at join), no pairing run needed.
    expect((await two.join({ players: [{ id: 'partner', rating: 4001 }] })).state).toBe('matched');
    expect(await one.pairOnce('1v1', 'any')).toBe(0);
    expect((await one.status('late')).match?.players.map((p) => p.id).sort()).toEqual(['late', 'partner']);
    // Players matched during the outage still see their match.
    expect((await one.status('d0')).match?.id).toBe(seen.get('d0'));
  }, 60_000);
});
