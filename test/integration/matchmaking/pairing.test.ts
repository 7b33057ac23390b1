/**
 * Many instances pairing at once never put a player in two matches. Three instances join 10,000
 * players concurrently (random ratings; 1v1, and 2v2 with parties of two), while all three run the
 * pairing of both modes in a loop at the same time (not through the job, so the pairers really
 * overlap). Then every match in the database is checked: each player at most once, parties whole
 * and on one team, every ticket within the others' windows, teams as balanced as possible; and no
 * player is lost (matched or still queued). On a single node with SQLite and on Cluster with
 * PostgreSQL, and on Cluster with a master failing over in the middle.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MatchRecord } from '../../../src/apps/matchmaking/db/matches.js';
import { PROPOSAL_GRACE_MS, STALE_CHECK_MS } from '../../../src/apps/matchmaking/service.js';
import { hashSlot } from '../../../src/redis/topology/slot.js';
import { uniquePrefix } from '../../support/redis.js';
import {
  type RedisClusterHandle,
  type RedisSingleHandle,
  startCluster,
  startSingle,
} from '../../support/topology.js';
import { type EngineTarget, postgresTarget } from '../db/fixtures.js';
import { checkMatches, type Instance, startInstance } from './fixture.js';

const WINDOW = { initial: 50, growth: 400, max: 1000 };
const MODES = {
  '1v1': { teams: 2, teamSize: 1, balance: true },
  '2v2': { teams: 2, teamSize: 2, balance: true },
};
const PLAYERS = 10_000;

function matchEnv(): Record<string, string> {
  return {
    MATCHMAKING_MODES: '1v1:2x1,2v2:2x2',
    MATCHMAKING_REGIONS: 'eu',
    MATCHMAKING_JOBS: 'false',
    MATCHMAKING_WINDOW_INITIAL: String(WINDOW.initial),
    MATCHMAKING_WINDOW_GROWTH: String(WINDOW.growth),
    MATCHMAKING_WINDOW_MAX: String(WINDOW.max),
    MATCHMAKING_PAIR_BATCH: '200',
    // Correctness, not speed, is under test: a loaded 2-core machine must not turn it into an outage.
    REDIS_COMMAND_TIMEOUT_MS: '2000',
  };
}

interface Run {
  matches: MatchRecord[];
  queued: number;
  tickets: { mode: string; players: string[] }[];
}

async function scenario(instances: Instance[], during?: () => Promise<void>): Promise<Run> {
  const tickets: { mode: string; players: string[] }[] = [];
  let n = 0;
  while (n < PLAYERS) {
    const mode = n < PLAYERS * 0.6 ? '1v1' : '2v2';
    const size = mode === '2v2' && Math.random() < 0.3 && n + 2 <= PLAYERS ? 2 : 1;
    tickets.push({ mode, players: Array.from({ length: size }, (_, k) => `p${n + k}`) });
    n += size;
  }
  let joining = true;
  // A failover makes calls fail for a moment: a join is retried, a pairing run skipped.
  const tolerated =
    during === undefined ? ['REDIS_TIMEOUT'] : ['REDIS_TIMEOUT', 'REDIS_UNAVAILABLE', 'REDIS_COMMAND_FAILED'];
  const retry = async <T>(call: () => Promise<T>): Promise<T> => {
    for (;;) {
      try {
        return await call();
      } catch (error) {
        if (!tolerated.includes((error as { code?: string }).code ?? '')) throw error;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  const pairers = instances.map(async (instance) => {
    let idle = 0;
    while (joining || idle < 3) {
      let made = 0;
      for (const mode of Object.keys(MODES)) {
        // As the job runner does: a run that times out is logged and the next one goes on (a
        // script that ran anyway left proposals, which a later run finishes).
        made += await instance.mm.pairOnce(mode, 'eu').catch((error: { code?: string }) => {
          if (!tolerated.includes(error.code ?? '')) throw error;
          return 0;
        });
      }
      idle = made === 0 ? idle + 1 : 0;
      await new Promise((r) => setTimeout(r, made === 0 ? 50 : 0));
    }
  });
  const chaos = during?.();
  const CHUNK = 250;
  for (let i = 0; i < tickets.length; i += CHUNK) {
    await Promise.all(
      tickets.slice(i, i + CHUNK).map((t, k) =>
        retry(() =>
          instances[(i + k) % instances.length]!.mm.join({
            mode: t.mode,
            region: 'eu',
            players: t.players.map((id) => ({ id, rating: 1000 + Math.floor(Math.random() * 1000) })),
          }),
        ),
      ),
    );
  }
  await chaos;
  // Let the windows open fully so that everything that can match does. After a failover, also
  // let the pairers finish the proposals of runs that failed after their script (a lost reply, a
  // write refused by the demoted master): a later run does once they are PROPOSAL_GRACE_MS old.
  const windowsOpenMs = ((WINDOW.max - WINDOW.initial) / WINDOW.growth) * 1000;
  const strayProposalsMs = during === undefined ? 0 : PROPOSAL_GRACE_MS + 2 * STALE_CHECK_MS;
  await new Promise((r) => setTimeout(r, Math.max(windowsOpenMs, strayProposalsMs)));
  joining = false;
  await Promise.all(pairers);
  const ids = new Set<string>();
  const matches: MatchRecord[] = [];
  for (const instance of instances) {
    for (const notice of instance.notices) ids.add(notice.data.match.id);
  }
  matches.push(...(await instances[0]!.mm.repository.getMany([...ids])));
  const stats = await retry(() => instances[0]!.mm.stats());
  return { matches, queued: stats.playersQueued, tickets };
}

function checkRun(run: Run): void {
  checkMatches(run.matches, MODES, WINDOW);
  const matched = run.matches.reduce((s, m) => s + m.players.length, 0);
  expect(matched + run.queued).toBe(PLAYERS);
  // Everything pairable was paired: at most one 1v1 player and fewer than four 2v2 players wait.
  expect(run.queued).toBeLessThan(5);
  const partyOf = new Map(run.tickets.flatMap((t) => t.players.map((p) => [p, t.players] as const)));
  for (const m of run.matches) {
    const ids = new Set(m.players.map((p) => p.id));
    for (const p of m.players) for (const mate of partyOf.get(p.id)!) expect(ids.has(mate)).toBe(true);
  }
}

describe('many instances pairing 10,000 players on a single node with SQLite', () => {
  let redis: RedisSingleHandle;
  let dir: string;
  const instances: Instance[] = [];
  beforeAll(async () => {
    redis = await startSingle();
    dir = mkdtempSync(join(tmpdir(), 'plexus-mm-'));
    const env = {
      ...matchEnv(),
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: uniquePrefix('mm'),
      DATABASE_URL: `sqlite:${join(dir, 'mm.db')}`,
    };
    for (let i = 0; i < 3; i++) instances.push(await startInstance(env));
  }, 60_000);
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.close()));
    await redis?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('puts no player in two matches', async () => {
    checkRun(await scenario(instances));
  }, 120_000);
});

describe('many instances pairing 10,000 players on Cluster with PostgreSQL', () => {
  let cluster: RedisClusterHandle;
  let db: EngineTarget;
  const instances: Instance[] = [];
  beforeAll(async () => {
    cluster = await startCluster();
    db = postgresTarget();
    const env = {
      ...matchEnv(),
      REDIS_MODE: 'cluster',
      REDIS_CLUSTER_NODES: cluster.seeds,
      REDIS_KEY_PREFIX: uniquePrefix('mm'),
      ...db.env,
    };
    for (let i = 0; i < 3; i++) instances.push(await startInstance(env));
  }, 90_000);
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.close()));
    await cluster?.stop();
    await db?.drop();
  });

  it('puts no player in two matches', async () => {
    checkRun(await scenario(instances));
  }, 120_000);
});

describe('pairing on Cluster while the master of the queue fails over', () => {
  let cluster: RedisClusterHandle;
  let db: EngineTarget;
  const instances: Instance[] = [];
  let prefix: string;
  beforeAll(async () => {
    cluster = await startCluster();
    db = postgresTarget();
    prefix = uniquePrefix('mm');
    const env = {
      ...matchEnv(),
      REDIS_MODE: 'cluster',
      REDIS_CLUSTER_NODES: cluster.seeds,
      REDIS_KEY_PREFIX: prefix,
      ...db.env,
    };
    for (let i = 0; i < 3; i++) instances.push(await startInstance(env));
  }, 90_000);
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.close()));
    await cluster?.stop();
    await db?.drop();
  });

  // CLUSTER FAILOVER (the replica takes over once it has every write). A master killed outright
  // can lose its last unreplicated writes (Redis replicates asynchronously): docs/matchmaking.md.
  it('puts no player in two matches and loses none', async () => {
    const queueKey = `${prefix}:app:matchmaking:{q:1v1:eu}:ratings`;
    const master = await cluster.masterOfSlot(hashSlot(queueKey));
    checkRun(
      await scenario(instances, async () => {
        await new Promise((r) => setTimeout(r, 300));
        await cluster.failover(master, { graceful: true });
      }),
    );
  }, 180_000);
});
