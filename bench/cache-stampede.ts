/**
 * getOrSet under a stampede: 1,000 callers at once, a loader that takes 1 ms.
 *
 * Scenarios (fresh keys every round, best of ROUNDS by p99):
 *   - baseline "cache-aside by hand": GET; on a miss call the loader and SET (what the seeds do);
 *   - one instance, one key: local single-flight;
 *   - three instances (each its own connections), one key, `lock: true`: cluster single-flight;
 *   - one instance, 100 keys x 10 callers.
 * Reported: loader calls and caller latency (p50 / p99 / max).
 * Run: npx tsx bench/cache-stampede.ts   (REDIS_URL as usual)
 */
import { createClient } from 'redis';
import { type Cache, createCache } from '../src/cache/index.js';
import { loadRedisConfig } from '../src/config/redis.js';
import { RedisLayer } from '../src/redis/layer.js';

const URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const CALLERS = 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Outcome {
  loaderCalls: number;
  latencies: number[];
}

async function stampede(
  call: (i: number, loader: () => Promise<unknown>) => Promise<unknown>,
): Promise<Outcome> {
  let loaderCalls = 0;
  const loader = async () => {
    loaderCalls++;
    await sleep(1);
    return { built: Date.now(), payload: 'x'.repeat(200) };
  };
  const latencies = await Promise.all(
    Array.from({ length: CALLERS }, async (_, i) => {
      const start = performance.now();
      await call(i, loader);
      return performance.now() - start;
    }),
  );
  return { loaderCalls, latencies };
}

function report(label: string, outcomes: Outcome[]): number {
  const sorted = (o: Outcome) => [...o.latencies].sort((a, b) => a - b);
  const p = (o: Outcome, q: number) => sorted(o)[Math.min(CALLERS - 1, Math.floor(q * CALLERS))]!;
  const best = outcomes.reduce((a, b) => (p(b, 0.99) < p(a, 0.99) ? b : a));
  const calls = outcomes.map((o) => o.loaderCalls);
  console.log(
    `  ${label.padEnd(46)} loader calls ${String(Math.min(...calls)).padStart(4)}-${String(Math.max(...calls)).padEnd(4)}` +
      ` p50 ${p(best, 0.5).toFixed(1).padStart(6)} ms  p99 ${p(best, 0.99).toFixed(1).padStart(6)} ms  max ${p(best, 1).toFixed(1).padStart(6)} ms`,
  );
  return p(best, 0.99);
}

const prefix = `bench-stampede-${process.pid}`;
const config = loadRedisConfig({ REDIS_MODE: 'single', REDIS_URL: URL, REDIS_KEY_PREFIX: prefix });
const layers: RedisLayer[] = [];
const caches: Cache[] = [];
for (let i = 0; i < 3; i++) {
  const layer = new RedisLayer(config);
  await layer.connect();
  const cache = createCache({ redis: layer, instanceId: `b${i}` });
  await cache.start();
  layers.push(layer);
  caches.push(cache);
}
const raw = createClient({ url: URL });
await raw.connect();

const results: Record<string, Outcome[]> = { naive: [], local: [], cluster: [], spread: [] };
for (let r = 0; r < ROUNDS; r++) {
  results.naive!.push(
    await stampede(async (_, loader) => {
      const key = `${prefix}:naive:${r}`;
      const hit = await raw.get(key);
      if (hit !== null) return JSON.parse(hit);
      const value = await loader();
      await raw.set(key, JSON.stringify(value), { PX: 60_000 });
      return value;
    }),
  );
  results.local!.push(await stampede((_, loader) => caches[0]!.getOrSet(`local:${r}`, loader)));
  results.cluster!.push(
    await stampede((i, loader) => caches[i % 3]!.getOrSet(`cluster:${r}`, loader, { lock: true })),
  );
  results.spread!.push(await stampede((i, loader) => caches[0]!.getOrSet(`spread:${r}:${i % 100}`, loader)));
}

console.log(`getOrSet, ${CALLERS} concurrent callers, 1 ms loader (best of ${ROUNDS} rounds by p99)`);
const naive = report('GET / loader / SET by hand (baseline)', results.naive!);
const local = report('cache, 1 instance, 1 key', results.local!);
const cluster = report('cache, 3 instances, 1 key, lock: true', results.cluster!);
report('cache, 1 instance, 100 keys x 10 callers', results.spread!);
console.log('\nRatios (p99 latency)');
console.log(`  1 instance / by hand               ${(local / naive).toFixed(2)}`);
console.log(`  3 instances with lock / by hand    ${(cluster / naive).toFixed(2)}`);

for (const cache of caches) await cache.clear();
for (let r = 0; r < ROUNDS; r++) await raw.del(`${prefix}:naive:${r}`);
await raw.close();
await Promise.all(caches.map((c) => c.close()));
await Promise.all(layers.map((l) => l.close()));
