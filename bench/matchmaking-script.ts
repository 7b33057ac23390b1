/**
 * The pairing script (lua/mm_pair.lua) alone, without the rest of a pairing run (no server
 * assignment, no INSERT, no records): Redis CPU time (from /proc/<REDIS_PID>/stat, less sensitive
 * to a loaded machine than wall time) and EVALSHA time (INFO commandstats) for
 *   - pairing 10,000 queued single players (random ratings 1000–1999, window 50): runs until none is left;
 *   - the job's scan over 5,000 standing players nobody can match (distinct ratings, window 0):
 *     50 runs of 1,000 anchors, none matched.
 * Needs a Redis of its own (it resets the command statistics):
 *   redis-server --port 6419 --save '' & REDIS_PID=$! REDIS_URL=redis://127.0.0.1:6419 npx tsx bench/matchmaking-script.ts
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createClient } from 'redis';
import { MatchmakingKeys } from '../src/apps/matchmaking/keys.js';
import type { PairParams } from '../src/apps/matchmaking/pairing.js';
import { RedisQueue } from '../src/apps/matchmaking/queue-redis.js';
import { createPlexus } from '../src/index.js';

const URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6419';
const PID = process.env.REDIS_PID;
if (PID === undefined) throw new Error('REDIS_PID: the pid of a redis-server of its own');
const cpuMs = () => {
  const fields = readFileSync(`/proc/${PID}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};
const raw = createClient({ url: URL });
await raw.connect();
const p = createPlexus({
  apps: [],
  env: {
    LOG_LEVEL: 'silent',
    REDIS_URL: URL,
    REDIS_KEY_PREFIX: `bench-mm-script-${process.pid}`,
    REDIS_COMMAND_TIMEOUT_MS: '5000',
    DATABASE_URL: 'sqlite::memory:',
  },
});
await p.start();
const keys = new MatchmakingKeys(p.redis.keys.app('matchmaking'));
const queue = new RedisQueue(() => p.redis.store, keys, 3_600_000);

async function scenario(
  name: string,
  players: number,
  rating: (i: number) => number,
  window: number,
  runs: number,
) {
  const region = name;
  const now = Date.now();
  for (let i = 0; i < players; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, players - i) }, (_, k) =>
        queue.join('1v1', region, {
          id: randomUUID(),
          players: [{ id: `${name}-${i + k}`, rating: rating(i + k) }],
          joinedAt: now,
        }),
      ),
    );
  }
  const params: PairParams = {
    now,
    teams: 2,
    teamSize: 1,
    balance: true,
    initial: window,
    growth: 0,
    max: 400,
    maxMatches: 500,
    maxAnchors: 1000,
  };
  await raw.sendCommand(['CONFIG', 'RESETSTAT']);
  const cpu0 = cpuMs();
  let made = 0;
  let done = 0;
  for (; done < runs; done++) {
    const ids = Array.from({ length: params.maxMatches }, () => randomUUID());
    const got = (await queue.pair('1v1', region, params, ids)).proposals.length;
    made += got;
    if (got === 0 && runs === Number.POSITIVE_INFINITY) break;
  }
  const cpu = cpuMs() - cpu0;
  const stats = String(await raw.sendCommand(['INFO', 'commandstats']));
  const usec = Number(/cmdstat_evalsha:calls=\d+,usec=(\d+)/.exec(stats)?.[1] ?? Number.NaN);
  console.log(
    `${name}: ${done} runs, ${made} matches; Redis CPU ${cpu} ms, EVALSHA ${(usec / 1000).toFixed(0)} ms (${(usec / done / 1000).toFixed(1)} ms per run)`,
  );
  const q = keys.queue('1v1', region);
  await p.redis.store.del([q.ratings, q.waits, q.tickets, q.proposals]);
}

await scenario(
  'pair-10000',
  10_000,
  () => 1000 + Math.floor(Math.random() * 1000),
  50,
  Number.POSITIVE_INFINITY,
);
await scenario('scan-5000-standing', 5000, (i) => i, 0, 50);
await p.close();
await raw.quit();
