/**
 * The admin dashboard's costs, on a real Redis (REDIS_URL), in one process.
 *
 * 1. Reporting: 20 instances (InstanceHistory recorders over one connection layer, as 20 processes
 *    would each run one) record points back to back for ROUNDS rounds. Per point: CPU time of this
 *    process and Redis operations through the layer. Baseline in the same run: the instance
 *    registry's own report beat (which every instance already runs every INSTANCES_REPORT_INTERVAL_MS),
 *    measured the same way. Per-instance figures at the default step (5 s) follow by division.
 * 2. The data request with 100 instances' history: 100 reports and 100 full histories (one hour at
 *    the 5 s step: 720 points each) in Redis, then GET /api/1/admin/dashboard through Fastify
 *    (inject) as the page's poll asks it (`since` = the last point: only newer points), as its
 *    first load (`since=0`: the whole hour, downsampled to buckets; once as another page's load, once
 *    as the first read of a process, which fetches every point of the hour from Redis), and the
 *    poll answered 304; baselines GET /api/1/status
 *    (no I/O) and GET /api/1/metrics (the same instance reports, no history).
 * Run: npx tsx bench/dashboard.ts   (REDIS_URL, ROUNDS=200, ITERATIONS=200)
 */

import { dashboardOf } from '../src/dashboard/dashboard.js';
import { InstanceHistory } from '../src/dashboard/history.js';
import { encodePoint, type HistoryPoint } from '../src/dashboard/point.js';
import { dashboardHistoryAdd } from '../src/dashboard/scripts.js';
import { createPlexus } from '../src/index.js';
import type { InstanceReport } from '../src/instances/index.js';
import { instancesReport } from '../src/instances/scripts.js';
import { createServer } from '../src/server/index.js';

const URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ROUNDS = Number(process.env.ROUNDS ?? 200);
const ITERATIONS = Number(process.env.ITERATIONS ?? 200);
const REPORTERS = 20;
const INSTANCES = 100;
const STEP_MS = 5000;
const WINDOW_MS = 3_600_000;
const TOKEN = 'bench-dashboard-admin-token';
const prefix = `bench-dash-${process.pid}`;

const plexus = createPlexus({
  env: {
    REDIS_MODE: 'single',
    REDIS_URL: URL,
    REDIS_KEY_PREFIX: prefix,
    DATABASE_URL: 'sqlite::memory:',
    PLEXUS_ADMIN_TOKEN: TOKEN,
    INSTANCES_REPORT_INTERVAL_MS: '600000',
    INSTANCES_TTL_MS: '1200000',
    DASHBOARD_HISTORY_STEP_MS: String(STEP_MS),
    // Filling 72,000 points must not trip the breaker on a busy machine.
    REDIS_COMMAND_TIMEOUT_MS: '5000',
  },
});
await plexus.start();
const server = createServer(plexus);
await server.app.ready();
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const ops = () => plexus.redis.stats().total;

// --- 1. reporting cost -------------------------------------------------------------------------
const recorders = Array.from(
  { length: REPORTERS },
  (_, i) =>
    new InstanceHistory(plexus.redis, {
      instanceId: `bench-reporter-${i}`,
      serverName: `web${i % 4}`,
      version: 'bench',
      pid: 10_000 + i,
      startedAt: Date.now(),
      windowMs: WINDOW_MS,
      stepMs: STEP_MS,
      logger: plexus.logger,
      sources: () => {
        const cache = plexus.cache.localStats().totals;
        return {
          report: plexus.instances.current(),
          redis: plexus.redis.stats(),
          cache: { hits: cache.l1Hits + cache.l2Hits, lookups: cache.l1Hits + cache.l2Hits + cache.misses },
        };
      },
    }),
);

async function measure(
  label: string,
  each: () => Promise<unknown>,
  perRound: number,
): Promise<{ cpu: number; ops: number }> {
  for (let i = 0; i < 20; i++) await each(); // warm-up
  const cpu0 = cpuMs();
  const ops0 = ops();
  for (let r = 0; r < ROUNDS; r++) await each();
  const cpu = (cpuMs() - cpu0) / ROUNDS / perRound;
  const perPoint = (ops() - ops0) / ROUNDS / perRound;
  console.log(
    `  ${label.padEnd(46)} CPU ${(cpu * 1000).toFixed(0).padStart(5)} µs per instance and step, Redis ${perPoint.toFixed(2)} ops`,
  );
  return { cpu, ops: perPoint };
}

console.log(`Reporting: ${REPORTERS} instances, ${ROUNDS} rounds, figures per instance and step`);
let t = Date.now();
// One registry per process: its beat (report + metrics flush) is timed one at a time.
const baseline = await measure('baseline: instance report beat (registry)', () => plexus.instances.beat(), 1);
const history = await measure(
  'dashboard history point',
  () => {
    t += STEP_MS;
    const now = t;
    return Promise.all(recorders.map((r) => r.record(now)));
  },
  REPORTERS,
);
const perSecond = 1000 / STEP_MS;
console.log(
  `  at the default step (${STEP_MS / 1000} s): history CPU ${((history.cpu * perSecond) / 10).toFixed(4)}% of a core per instance, ` +
    `${(history.ops * perSecond).toFixed(2)} Redis ops/s per instance, ${(history.ops * perSecond * REPORTERS).toFixed(1)} ops/s for ${REPORTERS}`,
);
console.log(
  `  ratio history/report beat: CPU ${(history.cpu / baseline.cpu).toFixed(2)}x, Redis ops ${(history.ops / baseline.ops).toFixed(2)}x`,
);

// --- 2. the data request with 100 instances' history -----------------------------------------
const store = plexus.redis.store;
const keys = plexus.redis.keys;
await plexus.instances.beat();
const template = plexus.instances.current();
const now = Date.now();
const points = WINDOW_MS / STEP_MS;
for (let i = 0; i < INSTANCES; i++) {
  const id = `web${String(Math.floor(i / 10)).padStart(2, '0')}-${20_000 + i}-bench`;
  const report: InstanceReport = {
    ...template,
    id,
    serverName: `web${String(Math.floor(i / 10)).padStart(2, '0')}.example.com`,
    pid: 20_000 + i,
    startedAt: now - WINDOW_MS,
  };
  await store.runScript(
    instancesReport,
    [keys.instances.report(id), keys.instances.index()],
    [JSON.stringify(report), 1_200_000, id],
  );
  const writes: Promise<unknown>[] = [];
  for (let p = 0; p < points; p++) {
    const at = now - WINDOW_MS + (p + 1) * STEP_MS;
    const point: HistoryPoint = {
      t: at,
      requestsPerMin: 600 + (p % 60),
      latencyP99Ms: 12.5,
      errorsPerMin: p % 7,
      cpuPercent: 23.4,
      rssBytes: 123_456_789,
      eventLoopP99Ms: 11.2,
      redisAvgMs: 0.21,
      redisP99Ms: 0.9,
      redisOpsPerSec: 140.5,
      cacheHitRate: 0.93,
      wsConnections: 40 + (p % 5),
      wsMessagesPerSec: 12.3,
    };
    writes.push(
      store.runScript(
        dashboardHistoryAdd,
        [keys.dashboard.history(id)],
        [at, encodePoint(point), WINDOW_MS, points],
      ),
    );
  }
  writes.push(
    store.hSet(keys.dashboard.known(), {
      [id]: JSON.stringify([report.serverName, report.pid, 'bench', report.startedAt, now, 0]),
    }),
  );
  await Promise.all(writes);
}
// The 20 reporters' histories are not part of this measurement.
await store.del(recorders.map((_, i) => keys.dashboard.history(`bench-reporter-${i}`)));
await store.hDel(
  keys.dashboard.known(),
  recorders.map((_, i) => `bench-reporter-${i}`),
);
dashboardOf(plexus); // created by the route group already; its panels are read by the requests below

async function time(
  label: string,
  url: string,
  headers: Record<string, string> = {},
  expect = 200,
  before: () => void = () => {},
) {
  const auth = { authorization: `Bearer ${TOKEN}`, ...headers };
  let bytes = 0;
  for (let i = 0; i < 20; i++) await server.app.inject({ url, headers: auth });
  const samples: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    before();
    const start = performance.now();
    const response = await server.app.inject({ url, headers: auth });
    samples.push(performance.now() - start);
    if (response.statusCode !== expect)
      throw new Error(`${url}: ${response.statusCode} ${response.body.slice(0, 200)}`);
    bytes = response.rawPayload.length;
  }
  samples.sort((a, b) => a - b);
  const q = (f: number) => samples[Math.min(samples.length - 1, Math.floor(f * samples.length))]!;
  console.log(
    `  ${label.padEnd(46)} p50 ${q(0.5).toFixed(2).padStart(8)} ms  p99 ${q(0.99).toFixed(2).padStart(8)} ms  ${(bytes / 1024).toFixed(1)} KiB`,
  );
  return q(0.99);
}

for (let i = 0; i < 100 && plexus.redis.state !== 'ready'; i++) await new Promise((r) => setTimeout(r, 100));
const doc = await dashboardOf(plexus).document(0);
if (doc.source !== 'cluster')
  throw new Error(`Redis is ${plexus.redis.state}: the measurement would be local`);
const listed = doc.servers.flatMap((s) => s.instances).length;
let historyRows = 0;
for (let i = 0; i < INSTANCES; i++)
  historyRows += await store.zCard(
    keys.dashboard.history(`web${String(Math.floor(i / 10)).padStart(2, '0')}-${20_000 + i}-bench`),
  );
console.log(
  `Data request: ${listed} instances, ${historyRows} points in Redis, ${doc.plots.series.length} series (${doc.plots.grouping}) of ${doc.plots.t.length} buckets, ${ITERATIONS} iterations (Fastify inject)`,
);
const status99 = await time('baseline: GET /api/1/status', '/api/1/status');
const metrics99 = await time('baseline: GET /api/1/metrics', '/api/1/metrics');
// The page's poll asks for the last two buckets again.
const bucketMs = dashboardOf(plexus).bucketMs;
const since = now - (now % bucketMs) - bucketMs;
const poll99 = await time(
  'GET /api/1/admin/dashboard?since=<last step>',
  `/api/1/admin/dashboard?since=${since}`,
);
// The page's conditional poll: the ETag of the answer just before, then the timed request.
const conditional: number[] = [];
let notModified = 0;
for (let i = 0; i < ITERATIONS; i++) {
  const url = `/api/1/admin/dashboard?since=${since}`;
  const auth = { authorization: `Bearer ${TOKEN}` };
  const before = await server.app.inject({ url, headers: auth });
  const start = performance.now();
  const response = await server.app.inject({
    url,
    headers: { ...auth, 'if-none-match': String(before.headers.etag) },
  });
  conditional.push(performance.now() - start);
  if (response.statusCode === 304) notModified++;
}
conditional.sort((a, b) => a - b);
const cached99 = conditional[Math.min(conditional.length - 1, Math.floor(0.99 * conditional.length))]!;
console.log(
  `  ${'  same, If-None-Match of the previous answer'.padEnd(46)} p50 ${conditional[Math.floor(conditional.length / 2)]!.toFixed(2).padStart(8)} ms  p99 ${cached99.toFixed(2).padStart(8)} ms  (${notModified}/${ITERATIONS} answered 304)`,
);
const full99 = await time(
  'GET /api/1/admin/dashboard?since=0 (first load)',
  '/api/1/admin/dashboard?since=0',
);
// The first read of a process: the whole hour of every instance from Redis, then bucketed.
const cold = await time(
  'same, nothing read before (whole hour from Redis)',
  '/api/1/admin/dashboard?since=0',
  {},
  200,
  () => dashboardOf(plexus).forgetReadHistory(),
);
console.log(
  `  ratios (p99): poll/status ${(poll99 / status99).toFixed(1)}x, poll/metrics ${(poll99 / metrics99).toFixed(2)}x, ` +
    `conditional/metrics ${(cached99 / metrics99).toFixed(2)}x, first load/metrics ${(full99 / metrics99).toFixed(1)}x, ` +
    `cold first load/metrics ${(cold / metrics99).toFixed(1)}x`,
);

const all: string[] = [];
for await (const batch of store.scan(`${prefix}:*`)) all.push(...batch);
if (all.length > 0) await store.del(all);
await server.stop();
