/**
 * Cache hit throughput.
 *
 * - L1 hits: `cache.get` on keys held in process memory, against an async Map lookup (the floor
 *   any in-process cache pays for an awaited call).
 * - L2 hits: `cache.get` with L1 turned off, 500 calls in flight, against the raw node-redis
 *   client's GET at 500 in flight on the same Redis, same keys and values. Target: >= 80%.
 *
 * Rounds alternate baseline and cache, and the best round of each counts, because this machine is
 * shared. Run: npx tsx bench/cache-hits.ts   (REDIS_URL, default redis://127.0.0.1:6379)
 */
import { createClient } from 'redis';
import { createCache } from '../src/cache/index.js';
import { loadRedisConfig } from '../src/config/redis.js';
import { RedisLayer } from '../src/redis/layer.js';

const URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ROUND_MS = Number(process.env.ROUND_MS ?? 2000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const IN_FLIGHT = 500;
const KEYS = Array.from({ length: 1000 }, (_, i) => `user:${i}`);
const value = (i: number) => ({
  id: i,
  name: `User number ${i}`,
  roles: ['student'],
  active: true,
  score: i * 1.5,
});

/** Runs `op` from `concurrency` loops for `ms`; returns operations per second. */
async function throughput(
  concurrency: number,
  ms: number,
  op: (i: number) => Promise<unknown>,
): Promise<number> {
  let count = 0;
  const end = performance.now() + ms;
  const loop = async (start: number) => {
    for (let i = start; performance.now() < end; i += concurrency) {
      await op(i);
      count++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, i) => loop(i)));
  return (count * 1000) / (performance.now() - started);
}

async function best(label: string, run: () => Promise<number>): Promise<number> {
  let top = 0;
  for (let r = 0; r < ROUNDS; r++) top = Math.max(top, await run());
  console.log(`  ${label.padEnd(44)} ${Math.round(top).toLocaleString('en-US').padStart(12)} ops/s`);
  return top;
}

const prefix = `bench-cache-${process.pid}`;
const config = loadRedisConfig({ REDIS_MODE: 'single', REDIS_URL: URL, REDIS_KEY_PREFIX: prefix });
const layer = new RedisLayer(config);
await layer.connect();
const l1Cache = createCache({ redis: layer, config: { l1MaxEntries: 10_000 } });
const l2Cache = createCache({ redis: layer, config: { l1MaxEntries: 0 } });
await Promise.all([l1Cache.start(), l2Cache.start()]);
const raw = createClient({ url: URL });
await raw.connect();

for (const [i, key] of KEYS.entries()) await l2Cache.set(key, value(i));
for (const [i, key] of KEYS.entries()) await raw.set(`${prefix}:raw:${key}`, JSON.stringify(value(i)));
const map = new Map(KEYS.map((key, i) => [key, value(i)]));
for (const key of KEYS) await l1Cache.get(key);

console.log(`L1 hits (1 loop, ${KEYS.length} keys)`);
const mapGet = async (key: string) => map.get(key);
const mapOps = await best('async Map.get (baseline)', () =>
  throughput(1, ROUND_MS, (i) => mapGet(KEYS[i % 1000]!)),
);
const l1Ops = await best('cache.get, L1 hit', () =>
  throughput(1, ROUND_MS, (i) => l1Cache.get(KEYS[i % 1000]!)),
);
const l1GetOrSet = await best('cache.getOrSet, L1 hit', () =>
  throughput(1, ROUND_MS, (i) => l1Cache.getOrSet(KEYS[i % 1000]!, () => value(i))),
);

console.log(`L2 hits (${IN_FLIGHT} in flight)`);
let rawOps = 0;
let l2Ops = 0;
let rawParsed = 0;
for (let r = 0; r < ROUNDS; r++) {
  rawOps = Math.max(
    rawOps,
    await throughput(IN_FLIGHT, ROUND_MS, (i) => raw.get(`${prefix}:raw:${KEYS[i % 1000]}`)),
  );
  l2Ops = Math.max(l2Ops, await throughput(IN_FLIGHT, ROUND_MS, (i) => l2Cache.get(KEYS[i % 1000]!)));
  rawParsed = Math.max(
    rawParsed,
    await throughput(IN_FLIGHT, ROUND_MS, async (i) =>
      JSON.parse((await raw.get(`${prefix}:raw:${KEYS[i % 1000]}`))!),
    ),
  );
}
const show = (label: string, ops: number) =>
  console.log(`  ${label.padEnd(44)} ${Math.round(ops).toLocaleString('en-US').padStart(12)} ops/s`);
show('raw node-redis GET (baseline)', rawOps);
show('raw node-redis GET + JSON.parse', rawParsed);
show('cache.get, L2 hit (L1 off)', l2Ops);

const stats = l2Cache.localStats().totals;
console.log('\nRatios');
console.log(`  L1 hit get / async Map.get        ${(l1Ops / mapOps).toFixed(2)}`);
console.log(`  L1 hit getOrSet / async Map.get   ${(l1GetOrSet / mapOps).toFixed(2)}`);
console.log(`  L2 hit get / raw GET              ${(l2Ops / rawOps).toFixed(2)}   (target >= 0.80)`);
console.log(`  L2 hit get / raw GET + JSON.parse ${(l2Ops / rawParsed).toFixed(2)}`);
console.log(
  `  (L2 cache: ${stats.l2Hits.toLocaleString('en-US')} L2 hits, ${stats.misses} misses, ${stats.l2Errors} errors)`,
);

await l2Cache.clear();
for (const key of KEYS) await raw.del(`${prefix}:raw:${key}`);
await Promise.all([l1Cache.close(), l2Cache.close()]);
await raw.close();
await layer.close();
