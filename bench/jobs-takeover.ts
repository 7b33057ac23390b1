/**
 * Leader takeover after SIGKILL. Three Plexus instances (separate processes, the test fixture)
 * schedule one job every 100 ms with a JOBS_LEASE_MS lease; each round SIGKILLs the current
 * leader, measures until another instance holds the lease and until it runs its first tick, and
 * starts a replacement process so that three instances remain.
 * Baseline, same run: the lease time the killed leader still held at the kill (its key's PTTL);
 * no lease-based scheduler can take over sooner, so the ratio takeover / remaining lease shows
 * the scheduler's own overhead.
 * Run: npx tsx bench/jobs-takeover.ts   (REDIS_URL, ROUNDS=5, JOBS_LEASE_MS=2000)
 */
import { loadRedisConfig } from '../src/config/redis.js';
import { instanceOfToken } from '../src/jobs/ledger.js';
import { RedisLayer } from '../src/redis/layer.js';
import { InstanceProcess, startInstances } from '../test/integration/instances-processes.js';

const URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const LEASE_MS = Number(process.env.JOBS_LEASE_MS ?? 2000);
const INTERVAL_MS = 100;
const JOB = 'bench-takeover';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const prefix = `bench-takeover-${process.pid}`;
const env = {
  REDIS_MODE: 'single',
  REDIS_URL: URL,
  REDIS_KEY_PREFIX: prefix,
  JOBS_LEASE_MS: String(LEASE_MS),
};
const layer = new RedisLayer(loadRedisConfig(env));
await layer.connect();
const leaseKey = layer.keys.jobs.lease(JOB);
const recordKey = layer.keys.key('bench', 'runs');

interface RunRecord {
  phase: string;
  instance: string;
  at: number;
}
const schedule = (i: InstanceProcess) =>
  i.call('job', { name: JOB, intervalMs: INTERVAL_MS, workMs: 10, recordKey });
const firstRunAfter = async (at: number, not: string) => {
  const records = (await layer.store.lRange(recordKey, 0, 50)).map((r) => JSON.parse(r) as RunRecord);
  return records.filter((r) => r.phase === 'start' && r.at > at && r.instance !== not).at(-1);
};

const instances = await startInstances(3, env);
await Promise.all(instances.map(schedule));
const rows: { remaining: number; leadership: number; firstRun: number }[] = [];
try {
  for (let round = 0; round < ROUNDS; round++) {
    let holder: string | null = null;
    while (holder === null) {
      holder = await layer.store.get(leaseKey);
      await sleep(20);
    }
    // Kill at a random point of the renewal cycle, not right after a renewal.
    await sleep(Math.random() * LEASE_MS);
    holder = (await layer.store.get(leaseKey))!;
    const leader = instances.find((i) => i.instanceId === instanceOfToken(holder!))!;
    const remaining = await layer.store.pTtl(leaseKey);
    const killedAt = Date.now();
    await leader.kill();
    let leadership = 0;
    let firstRun = 0;
    while (firstRun === 0) {
      const current = await layer.store.get(leaseKey);
      if (leadership === 0 && current !== null && current !== holder) leadership = Date.now() - killedAt;
      const run = await firstRunAfter(killedAt, leader.instanceId);
      if (run !== undefined) firstRun = run.at - killedAt;
      await sleep(5);
    }
    rows.push({ remaining, leadership, firstRun });
    console.log(
      `  round ${round + 1}: lease left at kill ${remaining} ms, new leader after ${leadership} ms, first tick after ${firstRun} ms`,
    );
    instances.splice(instances.indexOf(leader), 1);
    const replacement = await InstanceProcess.start(env);
    await schedule(replacement);
    instances.push(replacement);
  }
} finally {
  await Promise.all(instances.map((i) => i.kill()));
  await layer.store.del([recordKey]);
  await layer.close();
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const over = rows.map((r) => r.leadership - r.remaining);
console.log(
  `Leader takeover after SIGKILL, ${ROUNDS} rounds, JOBS_LEASE_MS=${LEASE_MS}, job every ${INTERVAL_MS} ms`,
);
console.log(`  lease left at the kill (baseline)  mean ${mean(rows.map((r) => r.remaining)).toFixed(0)} ms`);
console.log(
  `  new leader after                   mean ${mean(rows.map((r) => r.leadership)).toFixed(0)} ms, max ${Math.max(...rows.map((r) => r.leadership))} ms`,
);
console.log(
  `  overhead beyond the lease left     mean ${mean(over).toFixed(0)} ms, max ${Math.max(...over)} ms`,
);
console.log(
  `  ratio takeover / lease left        ${(mean(rows.map((r) => r.leadership)) / mean(rows.map((r) => r.remaining))).toFixed(2)}x`,
);
console.log(`  first tick on the new leader after mean ${mean(rows.map((r) => r.firstRun)).toFixed(0)} ms`);
