/**
 * Invalidation propagation between two processes: this process sets keys on its cache (one every
 * 4 ms, interleaved with the baseline's messages); a child process with its own cache records when each invalidation reaches its L1. Two
 * delays are reported, both on the shared wall clock of this host (epoch ms with sub-ms precision):
 *   - set → applied: from the start of `set()` (which writes Redis first) to the child's L1 drop;
 *   - publish → applied: from the PUBLISH to the child's L1 drop.
 * Baseline, same run: a raw node-redis PUBLISH → message between the same two processes.
 * Target: p99 < 5 ms. Run: npx tsx bench/cache-invalidation.ts   (REDIS_URL as usual)
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';
import { createCache } from '../src/cache/index.js';
import { preciseNow } from '../src/coherence/invalidation-channel.js';
import { loadRedisConfig } from '../src/config/redis.js';
import { RedisLayer } from '../src/redis/layer.js';

const URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const COUNT = Number(process.env.COUNT ?? 2000);
const PACE_MS = 2;

type FromChild = { ready: true } | { applied: Record<string, [number, number]>; raw: Record<string, number> };

async function child(prefix: string): Promise<void> {
  const layer = new RedisLayer(
    loadRedisConfig({ REDIS_MODE: 'single', REDIS_URL: URL, REDIS_KEY_PREFIX: prefix }),
  );
  await layer.connect();
  const cache = createCache({ redis: layer, instanceId: 'child' });
  await cache.start();
  const applied: Record<string, [number, number]> = {};
  cache.onInvalidation(({ ops, lagMs }) => {
    const now = preciseNow();
    for (const op of ops) if ('k' in op) for (const key of op.k) applied[key] = [now, lagMs];
  });
  const sub = createClient({ url: URL });
  await sub.connect();
  const raw: Record<string, number> = {};
  await sub.subscribe(`${prefix}:raw`, (message) => {
    raw[message] = preciseNow();
  });
  process.on('message', async (message: string) => {
    if (message !== 'report') return;
    process.send!({ applied, raw } satisfies FromChild);
    await sub.close();
    await cache.close();
    await layer.close();
    process.exit(0);
  });
  process.send!({ ready: true } satisfies FromChild);
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function summary(label: string, delays: number[]): number {
  const sorted = [...delays].sort((a, b) => a - b);
  const [p50, p99, max] = [percentile(sorted, 0.5), percentile(sorted, 0.99), sorted.at(-1)!];
  console.log(
    `  ${label.padEnd(40)} n=${sorted.length}  p50 ${p50.toFixed(3)} ms  p99 ${p99.toFixed(3)} ms  max ${max.toFixed(3)} ms`,
  );
  return p99;
}

async function parent(): Promise<void> {
  const prefix = `bench-inval-${process.pid}`;
  const proc = fork(fileURLToPath(import.meta.url), ['--child', prefix], { execArgv: ['--import', 'tsx'] });
  const messages: FromChild[] = [];
  const next = () =>
    new Promise<FromChild>((resolve) => {
      const take = () => (messages.length > 0 ? resolve(messages.shift()!) : setTimeout(take, 5));
      take();
    });
  proc.on('message', (m: FromChild) => messages.push(m));
  await next();

  const layer = new RedisLayer(
    loadRedisConfig({ REDIS_MODE: 'single', REDIS_URL: URL, REDIS_KEY_PREFIX: prefix }),
  );
  await layer.connect();
  const cache = createCache({ redis: layer, instanceId: 'parent' });
  await cache.start();
  const pub = createClient({ url: URL });
  await pub.connect();

  const started: number[] = [];
  const rawSent: number[] = [];
  // Interleaved, so that the machine's noise hits the baseline and the cache alike.
  for (let i = 0; i < COUNT; i++) {
    started[i] = preciseNow();
    await cache.set(`k${i}`, { i, payload: 'x'.repeat(64) });
    await new Promise((resolve) => setTimeout(resolve, PACE_MS));
    rawSent[i] = preciseNow();
    await pub.publish(`${prefix}:raw`, String(i));
    await new Promise((resolve) => setTimeout(resolve, PACE_MS));
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  proc.send('report');
  const report = (await next()) as Extract<FromChild, { applied: unknown }>;

  const setToApplied: number[] = [];
  const publishToApplied: number[] = [];
  for (let i = 0; i < COUNT; i++) {
    const got = report.applied[`k${i}`];
    if (got === undefined) continue;
    setToApplied.push(got[0] - started[i]!);
    publishToApplied.push(got[1]);
  }
  const rawDelays = Object.entries(report.raw).map(([i, at]) => at - rawSent[Number(i)]!);

  console.log(`Invalidation propagation between two processes (${COUNT} sets, one every ${2 * PACE_MS} ms)`);
  const rawP99 = summary('raw PUBLISH → message (baseline)', rawDelays);
  const pubP99 = summary('cache: publish → L1 dropped', publishToApplied);
  const setP99 = summary('cache: set() start → L1 dropped', setToApplied);
  console.log(`  missing: ${COUNT - setToApplied.length} of ${COUNT}`);
  console.log('\nRatios (p99)');
  console.log(`  publish → applied / raw pub/sub     ${(pubP99 / rawP99).toFixed(2)}`);
  console.log(`  set → applied / raw pub/sub         ${(setP99 / rawP99).toFixed(2)}   (target: p99 < 5 ms)`);

  await cache.clear();
  await pub.close();
  await cache.close();
  await layer.close();
}

if (process.argv[2] === '--child') await child(process.argv[3]!);
else await parent();
