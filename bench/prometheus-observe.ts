/**
 * Per-request cost of feeding the Prometheus route histograms, next to what every request already
 * costs the metrics module. Each scenario calls `Metrics.requestFinished(record)` — what the
 * onResponse hook calls — over 24 route/method/status combinations, with pre-built records (the
 * hook builds one per request either way):
 *   - baseline: no observer (the instance report's figures and per-minute counts only);
 *   - plexus: the RouteHistograms observer the `prometheus` route group installs;
 *   - prom-client: a prom-client Histogram observed with cached label objects, the alternative.
 * Reports ns per request and what each adds over the baseline, median of ROUNDS.
 * Run: npx tsx bench/prometheus-observe.ts   (N=1000000, ROUNDS=7)
 */
import { Histogram, Registry } from 'prom-client';
import { loadRedisConfig } from '../src/config/redis.js';
import { silentLogger } from '../src/logger.js';
import { Metrics, type RequestRecord } from '../src/metrics/index.js';
import { LATENCY_BUCKETS, RouteHistograms } from '../src/prometheus/http.js';
import { RedisLayer } from '../src/redis/layer.js';

const N = Number(process.env.N ?? 1_000_000);
const ROUNDS = Number(process.env.ROUNDS ?? 7);

const layer = new RedisLayer(loadRedisConfig({ REDIS_MODE: 'memory' }));
const metrics = () =>
  new Metrics(layer, {
    instanceId: 'bench',
    serverName: 'bench',
    errorsKept: 10,
    requestsRetentionMinutes: 60,
    maxRoutesPerMinute: 500,
    logger: silentLogger,
  });

const records: RequestRecord[] = [];
for (const route of ['/api/1/status', '/users/:id', '/qr/:code.png', '/api/1/me', '/login', '(unmatched)']) {
  for (const method of ['GET', 'POST']) {
    for (const status of [200, 404])
      records.push({ method, route, status, durationMs: 0.3 + records.length });
  }
}

function run(m: Metrics): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) m.requestFinished(records[i % records.length]!);
  return Number(process.hrtime.bigint() - start) / N;
}

const baseline = metrics();
const ours = metrics();
ours.observeRequests(new RouteHistograms(500).observe);
const theirs = metrics();
const histogram = new Histogram({
  name: 'bench_seconds',
  help: 'bench',
  labelNames: ['method', 'route', 'status_code'],
  buckets: LATENCY_BUCKETS,
  registers: [new Registry()],
});
const labels = new Map(
  records.map((r) => [r, { method: r.method, route: r.route, status_code: r.status }] as const),
);
theirs.observeRequests((r) => histogram.observe(labels.get(r)!, r.durationMs / 1000));

const results: Record<string, number[]> = { baseline: [], plexus: [], 'prom-client': [] };
for (let round = 0; round < ROUNDS; round++) {
  results.baseline!.push(run(baseline));
  results.plexus!.push(run(ours));
  results['prom-client']!.push(run(theirs));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(results.baseline!);
console.log(`requests per round: ${N}, rounds: ${ROUNDS}`);
for (const [name, xs] of Object.entries(results)) {
  const ns = median(xs);
  console.log(
    `${name.padEnd(12)} ${ns.toFixed(0).padStart(5)} ns/request  +${(ns - base).toFixed(0).padStart(4)} ns  ratio ${(ns / base).toFixed(2)}`,
  );
}
await layer.close();
