/**
 * The chaos suite: `plexus start --workers 2` (the built bin/plexus.js) under mixed load (signed-in
 * /auth/me over 50 sessions, cached QR PNGs over 1,000 students, /status), on a single Redis and
 * on a 3+3 Cluster of its own, with faults injected for real — Redis paused (SIGSTOP 5 s) and
 * killed and restarted empty (durable sessions), the busiest Cluster master killed, a worker
 * SIGKILLed — and logout-all tried across outages on two instances in both reconnection orders.
 * Prints per phase: requests, 5xx, /auth/me 503, connection errors, timeouts, answers over 1 s,
 * p99 and max latency, time back to ready per worker, sessions lost; then the logout-all holes,
 * and whether each figure the issue asks for holds (exit code 1 when one does not).
 *
 * Run: npx tsx bench/chaos/run.ts            (full: ~15 min on a loaded 2-core machine)
 *      npx tsx bench/chaos/run.ts --short    (CI: single Redis, one fault of each kind, one
 *                                             logout-all try per order, paused and restarted empty)
 * Options: --no-build (bin/plexus.js is current), --no-cluster; env CHAOS_READY_MS (bound on the
 * time back to ready, default 250) and CHAOS_SLOW_MS (an answer slower is slow, default 1000);
 * env CHAOS_JSON=<file> writes the results as JSON (test/chaos/chaos.test.ts reads it),
 * CONNECTIONS (default 20), CHAOS_LOG=<file> keeps the single-node server's log.
 */
import { execSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisProcess } from '../../test/support/redis-process.js';
import { startCluster } from '../../test/support/topology.js';
import { childPids, ROOT } from '../support/http.js';
import { baseEnv, login, type Server, seed, sleep, startPlexus, timeBackToReady } from './deploy.js';
import { type HolesResult, logoutAllHoles } from './holes.js';
import { MixedLoad, max, type PhaseStats, p99, SLOW_MS } from './load.js';

const args = new Set(process.argv.slice(2));
const SHORT = args.has('--short');
const RETURNS = SHORT ? 1 : 4;
const HOLE_TRIES = SHORT ? 1 : Number(process.env.HOLE_TRIES ?? 20);
/** Tries per order with Redis restarted empty (each restart costs seconds). */
const EMPTY_TRIES = SHORT ? 1 : Number(process.env.EMPTY_TRIES ?? 5);
const OUTAGE_MS = SHORT ? 2000 : 5000;
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 20);
const SESSIONS = 50;
const WORKERS = 2;
/** The bound on the time back to ready: 250 ms, as the issue asks; CI passes a generous CHAOS_READY_MS. */
const READY_MS = Number(process.env.CHAOS_READY_MS ?? 250);
const students = Array.from({ length: 1000 }, (_, i) => String(200_000 + i));

interface Row {
  topology: string;
  stats: PhaseStats;
  ready: number[];
}

const rows: Row[] = [];
const holes: HolesResult[] = [];
const load0 = loadavg();

if (!args.has('--no-build')) execSync('npm run build', { cwd: ROOT, stdio: 'ignore' });

async function signIn(server: Server): Promise<string[]> {
  const cookies: string[] = [];
  for (let i = 0; i < SESSIONS; i++) cookies.push(await login(server.port, `user${i}@chaos.test`));
  return cookies;
}

async function phase(
  topology: string,
  traffic: MixedLoad,
  name: string,
  fault: () => Promise<number[]>,
): Promise<void> {
  traffic.phase(name);
  const ready = await fault();
  rows.push({ topology, stats: traffic.phase('between'), ready });
}

async function single(): Promise<void> {
  const redis = await RedisProcess.start();
  const dir = mkdtempSync(join(tmpdir(), 'plexus-chaos-'));
  const env = baseEnv(dir, { REDIS_URL: `redis://${redis.address}`, REDIS_KEY_PREFIX: 'chaos' }, true);
  try {
    await seed(env, SESSIONS + 1, students);
    const server = await startPlexus(env, WORKERS);
    const traffic = new MixedLoad(server.port, await signIn(server), students, CONNECTIONS);
    traffic.start();
    await phase('single', traffic, 'steady', async () => {
      await sleep(3000);
      return [];
    });
    for (let i = 0; i < RETURNS; i++) {
      await phase('single', traffic, `Redis paused ${OUTAGE_MS / 1000} s (${i + 1})`, async () => {
        const from = server.log.length;
        redis.pause();
        await sleep(OUTAGE_MS);
        redis.resume();
        const ready = await timeBackToReady(server, from, Date.now());
        await sleep(1000);
        return ready;
      });
    }
    for (let i = 0; i < RETURNS; i++) {
      await phase('single', traffic, `Redis killed, restarted empty (${i + 1})`, async () => {
        const from = server.log.length;
        await redis.kill();
        await sleep(OUTAGE_MS);
        await redis.restart();
        const ready = await timeBackToReady(server, from, Date.now());
        await sleep(2000);
        return ready;
      });
    }
    await phase('single', traffic, 'a worker SIGKILLed', async () => {
      const [victim] = childPids(server.child.pid!);
      if (victim !== undefined) process.kill(victim, 'SIGKILL');
      await sleep(4000);
      return [];
    });
    await traffic.stop();
    await server.stop();
    if (process.env.CHAOS_LOG) writeFileSync(process.env.CHAOS_LOG, server.log.join('\n'));

    const gated = (durable: boolean) => (gate: string | undefined) =>
      baseEnv(
        dir,
        {
          REDIS_URL: gate!,
          REDIS_KEY_PREFIX: `chaos-holes-${durable ? 'd' : 'm'}`,
          REDIS_HEALTH_INTERVAL_MS: '200',
        },
        durable,
      );
    const paused = { stop: () => redis.pause(), start: () => redis.resume() };
    const emptied = { stop: () => redis.kill(), start: () => redis.restart() };
    const user = `user${SESSIONS}@chaos.test`;
    const variants = [
      ['single, paused, durable', true, paused],
      ['single, paused, not durable', false, paused],
      ['single, restarted empty, durable', true, emptied],
      ['single, restarted empty, not durable', false, emptied],
    ] as const;
    // The short run keeps one variant per kind of outage.
    for (const [label, durable, outage] of SHORT ? [variants[0], variants[3]] : variants) {
      holes.push(
        ...(await logoutAllHoles({
          label,
          env: gated(durable),
          target: redis.address,
          outage,
          orders: ['A', 'B'],
          tries: label.includes('empty') ? EMPTY_TRIES : HOLE_TRIES,
          user,
        })),
      );
    }
  } finally {
    await redis.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function busiestMaster(masters: RedisProcess[]): Promise<RedisProcess> {
  let best = masters[0]!;
  let bestOps = -1;
  for (const master of masters) {
    const info = String(await master.command(['INFO', 'stats']).catch(() => ''));
    const ops = Number(/instantaneous_ops_per_sec:(\d+)/.exec(info)?.[1] ?? 0);
    if (ops > bestOps) [best, bestOps] = [master, ops];
  }
  return best;
}

async function cluster(): Promise<void> {
  const redis = await startCluster();
  const dir = mkdtempSync(join(tmpdir(), 'plexus-chaos-cluster-'));
  const redisEnv = { REDIS_MODE: 'cluster', REDIS_CLUSTER_NODES: redis.seeds };
  const env = baseEnv(dir, { ...redisEnv, REDIS_KEY_PREFIX: 'chaos' }, true);
  try {
    await seed(env, SESSIONS + 1, students);
    const server = await startPlexus(env, WORKERS);
    const traffic = new MixedLoad(server.port, await signIn(server), students, CONNECTIONS);
    traffic.start();
    await phase('cluster', traffic, 'steady', async () => {
      await sleep(3000);
      return [];
    });
    for (let i = 0; i < RETURNS / 2; i++) {
      await phase('cluster', traffic, `every node paused ${OUTAGE_MS / 1000} s (${i + 1})`, async () => {
        const from = server.log.length;
        for (const node of redis.nodes) node.pause();
        await sleep(OUTAGE_MS);
        for (const node of redis.nodes) node.resume();
        const ready = await timeBackToReady(server, from, Date.now());
        await sleep(1000);
        return ready;
      });
    }
    for (let i = 0; i < RETURNS / 2; i++) {
      await phase('cluster', traffic, `busiest master killed (${i + 1})`, async () => {
        const master = await busiestMaster(await redis.masters());
        await master.kill();
        await sleep(OUTAGE_MS);
        await master.restart();
        await redis.waitHealthy();
        await sleep(2000);
        return [];
      });
    }
    await traffic.stop();
    await server.stop();
    const paused = {
      stop: () => {
        for (const node of redis.nodes) node.pause();
      },
      start: () => {
        for (const node of redis.nodes) node.resume();
      },
    };
    for (const durable of [true]) {
      holes.push(
        ...(await logoutAllHoles({
          label: `cluster, every node paused, ${durable ? 'durable' : 'not durable'}`,
          env: () =>
            baseEnv(
              dir,
              {
                ...redisEnv,
                REDIS_KEY_PREFIX: `chaos-holes-${durable ? 'd' : 'm'}`,
                REDIS_HEALTH_INTERVAL_MS: '200',
              },
              durable,
            ),
          target: undefined,
          outage: paused,
          orders: ['together'],
          tries: HOLE_TRIES,
          user: `user${SESSIONS}@chaos.test`,
        })),
      );
    }
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await single();
if (!SHORT && !args.has('--no-cluster')) await cluster();

const f = (n: number) => String(Math.round(n));
console.log(
  `\nchaos suite${SHORT ? ' (short)' : ''}: ${CONNECTIONS} connections, ${WORKERS} workers, durable sessions`,
);
console.log(
  `load average at start ${load0.map((l) => l.toFixed(1)).join(' ')}, at end ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}\n`,
);
console.log(
  `| topology | phase | requests | 5xx | /auth/me 503 | conn. errors | timeouts | > ${SLOW_MS} ms | p99 ms | max ms | back to ready ms | sessions lost |`,
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const { topology, stats: s, ready } of rows) {
  console.log(
    `| ${topology} | ${s.name} | ${s.requests} | ${s.status5xx} | ${s.me503} | ${s.errors} | ${s.timeouts} | ${s.slow} | ${f(p99(s.latencies))} | ${f(max(s.latencies))} | ${ready.length === 0 ? '' : ready.map(f).join(', ')} | ${s.lost.size} |`,
  );
}
console.log('\n| logout-all across an outage | tries | holes |\n| --- | --- | --- |');
for (const h of holes) console.log(`| ${h.label} | ${h.tries} | ${h.holes} |`);

const returns = rows.flatMap((r) => r.ready);
const summary = {
  short: SHORT,
  status5xx: rows.reduce((n, r) => n + r.stats.status5xx, 0),
  me503: rows.reduce((n, r) => n + r.stats.me503, 0),
  slow: rows.reduce((n, r) => n + r.stats.slow, 0),
  timeouts: rows.reduce((n, r) => n + r.stats.timeouts, 0),
  sessionsLost: rows.reduce((n, r) => n + r.stats.lost.size, 0),
  worstReadyMs: Math.max(0, ...returns),
  readySamples: returns.length,
  holes: holes.reduce((n, h) => n + h.holes, 0),
  holeTries: holes.reduce((n, h) => n + h.tries, 0),
  loadAverage: loadavg()[0],
};
const checks: [string, boolean][] = [
  ['0 5xx', summary.status5xx === 0],
  ['0 /auth/me 503 (recently served sessions)', summary.me503 === 0],
  [`0 requests over ${f(SLOW_MS)} ms`, summary.slow === 0 && summary.timeouts === 0],
  [
    `back to ready <= ${f(READY_MS)} ms (worst of ${returns.length}: ${f(summary.worstReadyMs)} ms)`,
    summary.worstReadyMs <= READY_MS,
  ],
  ['0 sessions lost (durable)', summary.sessionsLost === 0],
  [`0 logout-all holes (${summary.holeTries} tries)`, summary.holes === 0],
];
console.log('');
for (const [what, ok] of checks) console.log(`${ok ? 'PASS' : 'FAIL'}  ${what}`);
if (process.env.CHAOS_JSON)
  writeFileSync(process.env.CHAOS_JSON, JSON.stringify({ summary, checks }, null, 2));
process.exit(checks.every(([, ok]) => ok) ? 0 : 1);
