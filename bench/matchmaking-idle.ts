/**
 * What the matchmaking pairing job costs an instance when nobody is queued: CPU per idle tick
 * (`pairOnce` on an empty queue, what the job runs every MATCHMAKING_PAIR_INTERVAL_MS, 25 ms by
 * default), against the CPU of one raw node-redis PING round trip measured in the same run (the
 * floor of any tick that asks Redis anything). The job's own claim of the tick (src/jobs/) is not
 * included: it is the same for every job.
 *
 * Run: npx tsx bench/matchmaking-idle.ts   (REDIS_URL as usual; TICKS=4000; SQLite in memory)
 */
import { createClient } from 'redis';
import { bundledApps } from '../src/apps/index.js';
import type { Matchmaking } from '../src/apps/matchmaking/service.js';
import { createPlexus } from '../src/index.js';

const URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TICKS = Number(process.env.TICKS ?? 4000);
const ROUNDS = 3;

/** CPU microseconds per call of `run`, after a warm-up. */
async function cpuPerCall(run: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 500; i++) await run();
  const start = process.cpuUsage();
  for (let i = 0; i < TICKS; i++) await run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / TICKS;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const raw = createClient({ url: URL });
await raw.connect();
const plexus = createPlexus({
  env: {
    REDIS_URL: URL,
    REDIS_KEY_PREFIX: `bench-mm-idle-${process.pid}`,
    DATABASE_URL: 'sqlite::memory:',
    MATCHMAKING_JOBS: 'false',
    LOG_LEVEL: 'warn',
  },
  apps: bundledApps,
});
await plexus.start();
const mm = (plexus.apps as { matchmaking: Matchmaking }).matchmaking;

const pings: number[] = [];
const ticks: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  pings.push(await cpuPerCall(() => raw.ping()));
  ticks.push(await cpuPerCall(() => mm.pairOnce('1v1', 'any')));
}
const ping = median(pings);
const tick = median(ticks);
const interval = mm.config.pairIntervalMs;
console.log(`CPU per call, median of ${ROUNDS} rounds of ${TICKS}`);
console.log(`| | µs CPU | ratio to PING |`);
console.log(`| --- | ---: | ---: |`);
console.log(`| raw node-redis PING (baseline) | ${ping.toFixed(1)} | 1.00 |`);
console.log(
  `| idle pairing tick (pairOnce, empty queue) | ${tick.toFixed(1)} | ${(tick / ping).toFixed(2)} |`,
);
console.log(
  `At MATCHMAKING_PAIR_INTERVAL_MS=${interval}: ${((tick * 1000) / interval / 1000).toFixed(1)} ms of CPU per second per mode and region (the ticks only).`,
);
await plexus.close();
await raw.quit();
