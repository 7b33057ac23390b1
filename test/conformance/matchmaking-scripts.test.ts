/**
 * The matchmaking scripts (lua/mm_*.lua) and their JavaScript twins (src/apps/matchmaking/scripts.ts)
 * must give the same answers and leave the same queues: the same seeded scenario (random ratings,
 * parties, waits, several pairing runs, a server pool) runs on memory, a single node and Cluster,
 * and every transcript must equal memory's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MatchmakingKeys } from '../../src/apps/matchmaking/keys.js';
import { type Ticket, ticketMember, ticketRating } from '../../src/apps/matchmaking/pairing.js';
import {
  mmJoin,
  mmLeave,
  mmPair,
  mmPoolAssign,
  mmPoolHeartbeat,
  mmPoolReap,
  mmPoolRegister,
  mmPoolRelease,
  mmStatus,
} from '../../src/apps/matchmaking/scripts.js';
import type { RedisLayer } from '../../src/redis/layer.js';
import { layerTargets } from '../support/layers.js';

const targets = layerTargets(['memory', 'single', 'cluster']);
const transcripts = new Map<string, unknown[]>();

/** mulberry32: the same pseudo-random sequence on every target. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const T0 = 1_700_000_000_000;

async function scenario(layer: RedisLayer): Promise<unknown[]> {
  const store = layer.store;
  const keys = new MatchmakingKeys(layer.keys.app('matchmaking'));
  const log: unknown[] = [];
  const rnd = random(17);
  for (const [mode, teams, teamSize, balance] of [
    ['1v1', 2, 1, 1],
    ['2v2', 2, 2, 1],
    ['ffa', 4, 2, 0],
  ] as const) {
    const q = keys.queue(mode, 'eu');
    const qk = [q.ratings, q.waits, q.tickets];
    for (let i = 0; i < 300; i++) {
      const size = teamSize === 1 ? 1 : rnd() < 0.3 ? 2 : 1;
      const ticket: Ticket = {
        id: `${mode}-t${String(i).padStart(4, '0')}`,
        players: Array.from({ length: size }, (_, k) => ({
          id: `${mode}-p${i}-${k}`,
          rating: 1000 + Math.floor(rnd() * 1000),
        })),
        joinedAt: T0 + Math.floor(rnd() * 20_000),
      };
      log.push(
        await store.runScript(mmJoin, qk, [
          ticket.id,
          ticketRating(ticket),
          ticket.joinedAt,
          ticketMember(ticket),
          JSON.stringify(ticket),
        ]),
      );
    }
    log.push([
      'rejoin',
      await store.runScript(mmJoin, qk, [`${mode}-t0001`, 1, T0, `${mode}-t0001\t1\t1\t${T0}`, '{}']),
    ]);
    log.push([
      'leave',
      await store.runScript(mmLeave, qk, [`${mode}-t0002`]),
      await store.runScript(mmLeave, qk, [`${mode}-t0002`]),
    ]);
    // A join whose answer was lost is withdrawn: out of the queue, and a late mm_join of the same
    // ticket (the one whose answer was lost) cannot queue it again; leaving it changes nothing.
    const late = (id: string) => [id, 1500, T0, `${id}\t1\t1500\t${T0}`, '{"id":"late"}'];
    log.push([
      'withdraw',
      await store.runScript(mmLeave, qk, [`${mode}-t0004`, 'withdraw']),
      await store.runScript(mmJoin, qk, late(`${mode}-t0004`)),
      await store.runScript(mmLeave, qk, ['never-joined', 'withdraw']),
      await store.runScript(mmJoin, qk, late('never-joined')),
      await store.runScript(mmLeave, qk, [`${mode}-t0004`]),
      await store.runScript(mmStatus, [q.waits, q.tickets], [`${mode}-t0004`]),
      await store.runScript(mmStatus, [q.waits, q.tickets], ['never-joined']),
    ]);
    log.push([
      'status',
      await store.runScript(mmStatus, [q.waits, q.tickets], [`${mode}-t0003`]),
      await store.runScript(mmStatus, [q.waits, q.tickets], ['nope']),
    ]);
    // Runs anchored on one ticket (a join's), then three runs at later and later times: windows
    // widen, more tickets match.
    for (const [run, now, anchor] of [
      ['j0', T0 + 20_000, `${mode}-t0010`],
      ['j1', T0 + 20_000, `${mode}-t0299`],
      ['j2', T0 + 20_000, 'nope'],
      ['j3', T0 + 20_000, 'never-joined'],
      [0, T0 + 20_000, ''],
      [1, T0 + 30_000, ''],
      [2, T0 + 60_000, ''],
    ] as const) {
      const ids = Array.from({ length: 40 }, (_, i) => `${mode}-m${run}-${i}`);
      const reply = await store.runScript(
        mmPair,
        [q.ratings, q.waits, q.tickets, q.proposals],
        [now, teams, teamSize, balance, 50, 5, 300, 40, 250, anchor, ...ids],
      );
      log.push([mode, run, reply]);
      log.push([
        'left',
        await store.zCard(q.ratings),
        await store.zRangeByScore(q.waits, 0, Number.POSITIVE_INFINITY),
      ]);
    }
    log.push(['proposals', Object.keys(await store.hGetAll(q.proposals)).sort()]);
  }

  const p = keys.pool('eu');
  const poolKeys = [p.servers, p.caps, p.modes, p.load, p.alive];
  for (const [id, cap, modes] of [
    ['s-a', 2, ',1v1,'],
    ['s-b', 3, ',1v1,2v2,'],
    ['s-c', 1, ',2v2,'],
  ] as const) {
    log.push(
      await store.runScript(mmPoolRegister, poolKeys, [id, `{"id":"${id}"}`, cap, modes, T0 + 10_000]),
    );
  }
  const assignKeys = [p.caps, p.modes, p.load, p.alive, p.assign];
  log.push([
    'assign 1v1',
    await store.runScript(mmPoolAssign, assignKeys, [T0, '1v1', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a1']),
  ]);
  log.push(['assign 2v2', await store.runScript(mmPoolAssign, assignKeys, [T0, '2v2', 'b1', 'b2'])]);
  log.push([
    'release',
    await store.runScript(mmPoolRelease, [p.load, p.assign], ['a1']),
    await store.runScript(mmPoolRelease, [p.load, p.assign], ['a1']),
  ]);
  log.push([
    'heartbeat',
    await store.runScript(mmPoolHeartbeat, [p.alive], ['s-a', T0 + 1, T0 + 20_000]),
    await store.runScript(mmPoolHeartbeat, [p.alive], ['s-b', T0 + 15_000, T0 + 30_000]),
  ]);
  const reaped = (await store.runScript(mmPoolReap, [...poolKeys, p.assign], [T0 + 15_000, ''])) as string[];
  const split = reaped.indexOf('');
  log.push(['reap', reaped.slice(0, split).sort(), reaped.slice(split + 1).sort()]);
  log.push(['load', await store.hGetAll(p.load)]);
  log.push(['after reap', await store.runScript(mmPoolAssign, assignKeys, [T0 + 15_000, '1v1', 'c1', 'c2'])]);
  return log;
}

describe.each(targets)('matchmaking scripts on $name', (target) => {
  beforeAll(() => target.setup(), 60_000);
  afterAll(() => target.teardown(), 30_000);

  it('gives the same answers as every other target', async () => {
    const layer = await target.layer({ REDIS_COMMAND_TIMEOUT_MS: '5000' });
    const transcript = await scenario(layer);
    transcripts.set(target.name, transcript);
    const reference = transcripts.get('memory');
    expect(reference, 'memory runs first').toBeDefined();
    expect(transcript).toEqual(reference);
    // The scenario is not vacuous: every pairing run of every mode made matches.
    const pairs = transcript.filter(
      (e) => Array.isArray(e) && ['1v1', '2v2', 'ffa'].includes(e[0] as string) && typeof e[1] === 'number',
    );
    // Anchored runs: at most one match, around the anchor (the first ticket of it), none for an
    // unknown ticket (j2) or a withdrawn one (j3).
    const anchored = transcript.filter(
      (e) => Array.isArray(e) && ['1v1', '2v2', 'ffa'].includes(e[0] as string) && typeof e[1] === 'string',
    ) as [string, string, unknown[]][];
    for (const run of ['j2', 'j3'])
      expect(anchored.filter((e) => e[1] === run).map((e) => e[2].slice(1))).toEqual([[], [], []]);
    for (const [mode, run, reply] of anchored.filter((e) => e[1] !== 'j2' && e[1] !== 'j3')) {
      expect(reply.length, `${mode} ${run}`).toBeGreaterThan(1);
      expect(reply[1]).toBe(`${mode}-m${run}-0`);
      const anchorId = `${mode}-t${run === 'j0' ? '0010' : '0299'}`;
      expect((JSON.parse(reply[4] as string) as Ticket).id).toBe(anchorId);
      expect(3 + 2 * (reply[2] as number)).toBe(reply.length);
    }
    // Every pairing reply starts with the tickets it left waiting: the count read right after it.
    transcript.forEach((e, i) => {
      if (!Array.isArray(e) || !['1v1', '2v2', 'ffa'].includes(e[0] as string)) return;
      const left = transcript[i + 1] as unknown[];
      expect(left[0]).toBe('left');
      expect((e[2] as unknown[])[0]).toBe(left[1]);
    });
    // Withdrawn: the queued ticket's JSON, then no late join, no leave, not queued (per mode).
    const withdrawn = transcript.filter((e) => Array.isArray(e) && e[0] === 'withdraw') as unknown[][];
    expect(withdrawn).toHaveLength(3);
    for (const w of withdrawn) {
      expect(typeof w[1] === 'string' && (JSON.parse(w[1]) as Ticket).id.endsWith('-t0004')).toBe(true);
      expect(w.slice(2)).toEqual([0, 0, 0, 0, [0], [0]]);
    }
    const made = pairs.map((e) => ((e as unknown[][])[2]!.length > 1 ? 1 : 0));
    expect(made).toEqual(made.map(() => 1));
  }, 60_000);
});
