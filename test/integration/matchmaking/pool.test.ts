/**
 * The game-server pool and results, through the service on three instances over the machine's
 * Redis: concurrent assignment never exceeds a server's capacity and packs the busiest server
 * first; a server that stops heartbeating leaves the pool and its matches move to another server
 * (players told) or fail when none has room; a result moves every player's ELO rating in one
 * transaction, exactly once even when reported twice at the same time. On SQLite and PostgreSQL.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eloDeltas } from '../../../src/apps/matchmaking/elo.js';
import { TEST_REDIS_URL, uniquePrefix } from '../../support/redis.js';
import { type EngineTarget, postgresTarget, sqliteTarget } from '../db/fixtures.js';
import { type Instance, startInstance } from './fixture.js';

const open: Instance[] = [];
const targets: EngineTarget[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((i) => i.close()));
  await Promise.all(targets.splice(0).map((t) => t.drop()));
});

async function cluster(makeDb: () => EngineTarget, env: Record<string, string> = {}): Promise<Instance[]> {
  const db = makeDb();
  targets.push(db);
  const shared = {
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: uniquePrefix('mm'),
    REDIS_COMMAND_TIMEOUT_MS: '2000',
    DATABASE_URL: '',
    MATCHMAKING_JOBS: 'false',
    // The pairing runs under test are the job's (pairOnce), racing on three instances; pairing at
    // join is the same script (test/integration/matchmaking/pairing.test.ts has both at once).
    MATCHMAKING_PAIR_ON_JOIN: 'false',
    MATCHMAKING_WINDOW_INITIAL: '5000',
    ...db.env,
    ...env,
  };
  const instances: Instance[] = [];
  for (let i = 0; i < 3; i++) instances.push(await startInstance(shared));
  open.push(...instances);
  return instances;
}

async function queuePairs(instances: Instance[], pairs: number, offset = 0): Promise<void> {
  await Promise.all(
    Array.from({ length: pairs * 2 }, (_, i) =>
      instances[i % 3]!.mm.join({ players: [{ id: `u${offset + i}`, rating: 1500 }] }),
    ),
  );
}

describe.each([
  ['sqlite', sqliteTarget],
  ['postgres', postgresTarget],
] as const)('server pool on %s', (engine, makeDb) => {
  it('never assigns above capacity under concurrent pairing, and packs the busiest server first', async () => {
    const instances = await cluster(makeDb, { MATCHMAKING_PAIR_BATCH: '3' });
    const servers = await Promise.all(
      ['s1', 's2', 's3', 's4'].map((id) =>
        instances[0]!.mm.registerServer({
          id,
          address: `${id}:7777`,
          region: 'any',
          capacity: 5,
          modes: ['1v1'],
        }),
      ),
    );
    expect(servers.map((s) => s.id)).toEqual(['s1', 's2', 's3', 's4']);
    await queuePairs(instances, 30);
    // Three pairers at once, small batches, so assignments interleave.
    await Promise.all(
      instances.map(async (i) => {
        for (let k = 0; k < 10; k++) await i.mm.pairOnce('1v1', 'any');
      }),
    );
    const ids = [...new Set(instances.flatMap((i) => i.notices.map((n) => n.data.match.id)))];
    const matches = await instances[0]!.mm.repository.getMany(ids);
    expect(matches).toHaveLength(30);
    const perServer = new Map<string, number>();
    for (const m of matches)
      if (m.serverId !== null) perServer.set(m.serverId, (perServer.get(m.serverId) ?? 0) + 1);
    expect(Object.fromEntries(perServer)).toEqual({ s1: 5, s2: 5, s3: 5, s4: 5 });
    expect(matches.filter((m) => m.state === 'waiting')).toHaveLength(10);
    const list = await instances[1]!.mm.servers(undefined, 10);
    expect(list.servers.map((s) => [s.id, s.load, s.live])).toEqual([
      ['s1', 5, true],
      ['s2', 5, true],
      ['s3', 5, true],
      ['s4', 5, true],
    ]);

    // Packing: with two empty servers, three new matches all go to one of them.
    await instances[0]!.mm.registerServer({
      id: 'p1',
      address: 'p1:1',
      region: 'any',
      capacity: 10,
      modes: ['1v1'],
    });
    await instances[0]!.mm.registerServer({
      id: 'p2',
      address: 'p2:1',
      region: 'any',
      capacity: 10,
      modes: ['1v1'],
    });
    await instances[0]!.mm.reapOnce('any'); // places the 10 waiting matches first, packed
    const placed = await instances[0]!.mm.repository.getMany(ids);
    expect(placed.filter((m) => m.serverId === 'p1')).toHaveLength(10);
    expect(placed.filter((m) => m.serverId === 'p2')).toHaveLength(0);
  }, 60_000);

  it('moves the matches of a server that stops heartbeating, and fails them when no server has room', async () => {
    // A TTL a loaded machine can keep (the test waits it out once, below).
    const TTL = 1500;
    const instances = await cluster(makeDb, { MATCHMAKING_SERVER_TTL_MS: String(TTL) });
    const mm = instances[0]!.mm;
    const a = await mm.registerServer({
      id: 'a',
      address: 'a:1',
      region: 'any',
      capacity: 4,
      modes: ['1v1'],
    });
    await queuePairs(instances, 3);
    await mm.heartbeat('a', a.token);
    const lastBeatOfA = Date.now();
    await mm.pairOnce('1v1', 'any');
    const b = await mm.registerServer({
      id: 'b',
      address: 'b:1',
      region: 'any',
      capacity: 2,
      modes: ['1v1'],
    });
    const ids = [...new Set(instances[0]!.notices.map((n) => n.data.match.id))];
    expect((await mm.repository.getMany(ids)).map((m) => m.serverId)).toEqual(['a', 'a', 'a']);
    // b heartbeats, a does not; a forged token is refused.
    await expect(mm.heartbeat('b', 'forged')).rejects.toMatchObject({ code: 'MM_SERVER_FORBIDDEN' });
    // b heartbeats until a's deadline has passed; a does not.
    while (Date.now() <= lastBeatOfA + TTL + 50) {
      await mm.heartbeat('b', b.token);
      await new Promise((r) => setTimeout(r, 200));
    }
    await mm.heartbeat('b', b.token);
    const reaped = await instances[1]!.mm.reapOnce('any');
    expect(reaped).toEqual({ reaped: ['a'], moved: 2, failed: 1 });
    await expect(mm.heartbeat('a', a.token)).rejects.toMatchObject({ code: 'MM_SERVER_NOT_FOUND' });
    const after = await mm.repository.getMany(ids);
    expect(after.filter((m) => m.serverId === 'b' && m.state === 'assigned')).toHaveLength(2);
    const failed = after.find((m) => m.state === 'failed')!;
    expect(failed.serverId).toBeNull();
    const told = instances[1]!.notices.filter((n) => n.event !== 'match.found');
    expect(told.filter((n) => n.event === 'match.server')).toHaveLength(4);
    expect(
      told
        .filter((n) => n.event === 'match.failed')
        .map((n) => n.user)
        .sort(),
    ).toEqual(failed.players.map((p) => p.id).sort());
    // The players of the failed match can queue again at once.
    const player = failed.players[0]!.id;
    expect((await mm.status(player)).match?.state).toBe('failed');
    expect((await mm.join({ players: [{ id: player }] })).state).toBe('queued');
  }, 60_000);

  it('updates ratings from a result once, in one transaction, even reported twice at once', async () => {
    const instances = await cluster(makeDb, { MATCHMAKING_K_FACTOR: '40' });
    const mm = instances[0]!.mm;
    const server = await mm.registerServer({
      id: 'g',
      address: 'g:1',
      region: 'any',
      capacity: 4,
      modes: ['1v1'],
    });
    await mm.join({ players: [{ id: 'ann', rating: 1600 }] });
    await instances[1]!.mm.join({ players: [{ id: 'ben', rating: 1400 }] });
    expect(await instances[2]!.mm.pairOnce('1v1', 'any')).toBe(1);
    const status = await mm.status('ann');
    expect(status).toMatchObject({
      state: 'matched',
      match: { state: 'assigned', server: { id: 'g', address: 'g:1' } },
    });
    const match = status.match!;
    const annTeam = match.players.find((p) => p.id === 'ann')!.team;
    await expect(mm.reportResult(match.id, 'g', 'forged', annTeam)).rejects.toMatchObject({
      code: 'MM_SERVER_FORBIDDEN',
    });
    await expect(mm.reportResult(match.id, 'g', server.token, 7)).rejects.toMatchObject({
      code: 'MM_INVALID_RESULT',
    });
    // Nothing moved after the refused reports.
    expect(await mm.repository.ratings(['ann', 'ben'])).toEqual(new Map());
    // Two instances at once. On SQLite both from one instance: instances sharing a file from one
    // process would block each other's synchronous driver (separate processes wait their turn).
    const second = engine === 'sqlite' ? instances[1]! : instances[2]!;
    const outcomes = await Promise.allSettled([
      instances[1]!.mm.reportResult(match.id, 'g', server.token, annTeam),
      second.mm.reportResult(match.id, 'g', server.token, annTeam),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ code: 'MM_MATCH_FINISHED' });
    // ELO from the players' current ratings (none stored: the initial 1500 each), K = 40.
    const [win, lose] = eloDeltas([1500, 1500], 0, 40);
    expect(await mm.repository.ratings(['ann', 'ben'])).toEqual(
      new Map([
        ['ann', 1500 + win!],
        ['ben', 1500 + lose!],
      ]),
    );
    expect(win).toBe(20);
    expect((await mm.repository.get(match.id))!.state).toBe('finished');
    expect((await mm.servers(undefined, 5)).servers[0]!.load).toBe(0);
    // The next join uses the stored rating.
    expect((await mm.join({ players: [{ id: 'ann' }] })).state).toBe('queued');
    const ticket = await mm.status('ann');
    expect(ticket.window).toBe(400); // MATCHMAKING_WINDOW_MAX caps the initial 5000
  }, 60_000);
});
