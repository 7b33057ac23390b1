/**
 * Matchmaking: pairing throughput with 10,000 players queued, and join-to-match latency once a
 * partner exists, against baselines measured in the same run on the same Redis:
 *
 *   - the Redis round trip (PING), the floor of any Redis-based matchmaker;
 *   - the seed's own approach written plainly: one sorted set by rating, a matcher that reads the
 *     two lowest entries and removes them in application code (ZRANGE then ZREM, no Lua): its
 *     throughput alone, and how many players two such matchers running at once match twice.
 *
 * Plexus throughput is end to end: the mm_pair script, server assignment (mm_pool_assign, 10,000
 * slots registered), one INSERT per batch in SQLite, the players' records and the statistics
 * (pairing at join off, so that 10,000 tickets are queued when the job starts).
 * Latency: a standing queue of 5,000 unmatchable players (window 0) in the same queue, the pairing
 * job running every MATCHMAKING_PAIR_INTERVAL_MS (default 25 ms); pairs join at PAIRS_PER_SECOND and
 * the time from the start of the second join to the notifier's `match.found` is measured, with
 * pairing at join (the default) and without it (the job's tick alone).
 *
 * Run: npx tsx bench/matchmaking.ts   (REDIS_URL, PLAYERS=10000, PAIRS=400, PAIRS_PER_SECOND=100,
 *      MATCHMAKING_PAIR_SCAN to try another scan budget)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { createMatchmakingApp } from '../src/apps/matchmaking/app.js';
import { createPlexus } from '../src/index.js';

const URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PLAYERS = Number(process.env.PLAYERS ?? 10_000);
const PAIRS = Number(process.env.PAIRS ?? 400);
const PAIRS_PER_SECOND = Number(process.env.PAIRS_PER_SECOND ?? 100);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * q) - 1)]!;
const fmt = (n: number, d = 2) => n.toFixed(d);
const client = createClient({ url: URL });
type Client = typeof client;

async function plexus(env: Record<string, string>, onFound?: (user: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-mm-'));
  const app = createMatchmakingApp({
    notifier: { notify: (user, event) => (event === 'match.found' ? onFound?.(user) : undefined) },
  });
  const p = createPlexus({
    apps: [app],
    env: {
      LOG_LEVEL: 'silent',
      REDIS_URL: URL,
      REDIS_KEY_PREFIX: `bench-mm-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
      REDIS_COMMAND_TIMEOUT_MS: '5000',
      DATABASE_URL: `sqlite:${join(dir, 'mm.db')}`,
      ...(process.env.MATCHMAKING_PAIR_SCAN === undefined
        ? {}
        : { MATCHMAKING_PAIR_SCAN: process.env.MATCHMAKING_PAIR_SCAN }),
      ...env,
    },
  });
  await p.start();
  return {
    p,
    mm: p.apps.matchmaking,
    close: async () => {
      await p.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function fill(join: (i: number) => Promise<unknown>, n: number): Promise<void> {
  for (let i = 0; i < n; i += 500)
    await Promise.all(Array.from({ length: Math.min(500, n - i) }, (_, k) => join(i + k)));
}

async function roundTrip(client: Client): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const t = performance.now();
    await client.ping();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b);
}

/** The seed's matcher: ZRANGE the two lowest, ZREM them, in application code. */
async function naiveMatcher(client: Client, key: string, matched: string[]): Promise<number> {
  let made = 0;
  for (;;) {
    const pair = await client.zRange(key, 0, 1);
    if (pair.length < 2) return made;
    await client.zRem(key, pair);
    matched.push(...pair);
    made += 1;
  }
}

async function naive(client: Client, matchers: number) {
  const key = `bench-mm-naive-${process.pid}-${matchers}`;
  for (let i = 0; i < PLAYERS; i += 1000) {
    await client.zAdd(
      key,
      Array.from({ length: 1000 }, (_, k) => ({ score: 1000 + Math.random() * 1000, value: `p${i + k}` })),
    );
  }
  const matched: string[] = [];
  const t = performance.now();
  const made = (
    await Promise.all(Array.from({ length: matchers }, () => naiveMatcher(client, key, matched)))
  ).reduce((s, n) => s + n, 0);
  const seconds = (performance.now() - t) / 1000;
  const counts = new Map<string, number>();
  for (const p of matched) counts.set(p, (counts.get(p) ?? 0) + 1);
  await client.del(key);
  return { perSecond: made / seconds, twice: [...counts.values()].filter((c) => c > 1).length };
}

async function throughput() {
  const { mm, close } = await plexus({ MATCHMAKING_JOBS: 'false', MATCHMAKING_PAIR_ON_JOIN: 'false' });
  try {
    await mm.registerServer({ address: 'bench:1', region: 'any', capacity: PLAYERS, modes: ['1v1'] });
    await fill(
      (i) => mm.join({ players: [{ id: `t${i}`, rating: 1000 + Math.floor(Math.random() * 1000) }] }),
      PLAYERS,
    );
    const t = performance.now();
    let made = 0;
    for (;;) {
      const n = await mm.pairOnce('1v1', 'any');
      made += n;
      if (n === 0) break;
    }
    const seconds = (performance.now() - t) / 1000;
    return { made, perSecond: made / seconds, left: (await mm.stats()).playersQueued };
  } finally {
    await close();
  }
}

async function latency(pairOnJoin: boolean) {
  const found = new Map<string, number>();
  const { mm, close } = await plexus(
    {
      MATCHMAKING_WINDOW_INITIAL: '0',
      MATCHMAKING_WINDOW_GROWTH: '0',
      MATCHMAKING_PAIR_ON_JOIN: String(pairOnJoin),
    },
    (user) => found.set(user, performance.now()),
  );
  try {
    await mm.registerServer({ address: 'bench:1', region: 'any', capacity: 100_000, modes: ['1v1'] });
    // The standing queue: 5,000 distinct ratings, nobody within anybody's window.
    await fill((i) => mm.join({ players: [{ id: `s${i}`, rating: i }] }), 5000);
    await sleep(500);
    const samples: number[] = [];
    const pending: Promise<void>[] = [];
    for (let i = 0; i < PAIRS; i++) {
      pending.push(
        (async () => {
          await mm.join({ players: [{ id: `a${i}`, rating: 5000 }] });
          const joined = performance.now();
          await mm.join({ players: [{ id: `b${i}`, rating: 5000 }] });
          while (!found.has(`b${i}`)) await sleep(1);
          samples.push(found.get(`b${i}`)! - joined);
        })(),
      );
      await sleep(1000 / PAIRS_PER_SECOND);
    }
    await Promise.all(pending);
    return samples.sort((a, b) => a - b);
  } finally {
    await close();
  }
}

await client.connect();
const rtt = await roundTrip(client);
const seed1 = await naive(client, 1);
const seed2 = await naive(client, 2);
const plexusRun = await throughput();
const lat = await latency(true);
const latTick = await latency(false);
await client.quit();

console.log(
  `Redis round trip (PING): p50 ${fmt(quantile(rtt, 0.5), 3)} ms, p99 ${fmt(quantile(rtt, 0.99), 3)} ms`,
);
console.log(
  `seed matcher (ZRANGE + ZREM, 1 matcher): ${fmt(seed1.perSecond, 0)} matches/s, ${seed1.twice} players matched twice`,
);
console.log(
  `seed matcher (2 matchers at once): ${fmt(seed2.perSecond, 0)} matches/s, ${seed2.twice} players matched twice`,
);
console.log(
  `Plexus pairOnce, ${PLAYERS} queued: ${plexusRun.made} matches, ${fmt(plexusRun.perSecond, 0)} matches/s end to end (${fmt(plexusRun.perSecond / seed1.perSecond)}× the seed matcher), ${plexusRun.left} left`,
);
for (const [label, samples] of [
  ['pairing at join', lat],
  ['the job alone, every 25 ms', latTick],
] as const) {
  console.log(
    `join → match.found (${label}; 5,000 standing): p50 ${fmt(quantile(samples, 0.5))} ms, p99 ${fmt(quantile(samples, 0.99))} ms, max ${fmt(samples[samples.length - 1]!)} ms over ${samples.length} pairs (p99 = ${fmt(quantile(samples, 0.99) / quantile(rtt, 0.99), 0)}× the PING p99)`,
  );
}
