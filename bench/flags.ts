/**
 * Feature flags and configuration values.
 *
 * 1. Flag evaluation, ns/op, one process, flags held in memory:
 *    - baseline: `Map.get` of a precomputed answer (the floor of any in-memory lookup);
 *    - reference: `settings.peek('features', name)`, the cache lookup by built key that
 *      `evaluateNow` made per call before it kept a reader per flag name;
 *    - Plexus directly: `flags.evaluateNow(name, { userId, roles })` (held reader + compiled
 *      rules), with the garbage collections seen during its loop (0 or 1: allocation-free);
 *    - Plexus through the OpenFeature SDK: `client.getBooleanValue(...)` with PlexusFlagProvider;
 *    - the SDK's own InMemoryProvider through the same client API (the peer).
 *    Two flag shapes: on for everyone (STATIC) and a 30 % rollout with a deny list (SPLIT).
 * 2. Config read per tier, µs/op: in-process (`settings.get` L1 hit, and `peek`), Redis (an
 *    instance without an in-process tier), the database (the repository's read).
 * 3. Propagation between two processes: this process writes a value; a child process (another
 *    Plexus on the same Redis and database) reads it again as soon as the invalidation reaches it
 *    and reports when it read the new version. p50/p99 from the start of `set()` and from its return.
 *
 * Run: npx tsx bench/flags.ts   (REDIS_URL as usual; SQLite in a temp dir; COUNT=500 writes)
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { InMemoryProvider, OpenFeature } from '@openfeature/server-sdk';
import { preciseNow } from '../src/coherence/invalidation-channel.js';
import { PlexusFlagProvider } from '../src/flags/openfeature.js';
import { createPlexus, type Plexus } from '../src/index.js';

const URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const COUNT = Number(process.env.COUNT ?? 500);

function plexusEnv(prefix: string, dir: string, extra: Record<string, string> = {}) {
  return {
    REDIS_MODE: 'single',
    REDIS_URL: URL,
    REDIS_KEY_PREFIX: prefix,
    DATABASE_URL: `sqlite:${join(dir, 'plexus.db')}`,
    ...extra,
  };
}

async function child(prefix: string, dir: string): Promise<void> {
  const plexus = createPlexus({ env: plexusEnv(prefix, dir), instanceId: 'bench-child' });
  await plexus.start();
  await plexus.settings.get('bench', 'prop');
  plexus.cache.onInvalidation(({ ops }) => {
    for (const op of ops) {
      if (!('k' in op) || !op.k.includes('bench/prop')) continue;
      void plexus.settings.get('bench', 'prop').then((entry) => {
        process.send!({ version: entry?.version ?? 0, seenAt: preciseNow() });
      });
    }
  });
  process.send!({ ready: true });
  process.on('message', async (m: { stop?: boolean }) => {
    if (m.stop) {
      await plexus.close();
      process.exit(0);
    }
  });
}

function nsPerOp(run: (i: number) => unknown, iterations: number): number {
  for (let i = 0; i < 10_000; i++) run(i);
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) run(i);
  return Number(process.hrtime.bigint() - start) / iterations;
}

/** Runs `run` and counts the garbage collections during it (after letting pending ones finish). */
async function collections<T>(run: () => T): Promise<{ result: T; count: number }> {
  await new Promise((resolve) => setTimeout(resolve, 50));
  let count = 0;
  const observer = new PerformanceObserver((list) => {
    count += list.getEntries().length;
  });
  observer.observe({ entryTypes: ['gc'] });
  const result = run();
  // GC entries are delivered asynchronously.
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  return { result, count };
}

async function asyncNsPerOp(run: (i: number) => Promise<unknown>, iterations: number): Promise<number> {
  for (let i = 0; i < 2_000; i++) await run(i);
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await run(i);
  return Number(process.hrtime.bigint() - start) / iterations;
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
const fmt = (n: number) => n.toFixed(n < 10 ? 2 : n < 100 ? 1 : 0);

async function evaluation(plexus: Plexus): Promise<void> {
  await plexus.flags.put('bench-static', { enabled: true });
  await plexus.flags.put('bench-split', { enabled: true, rollout: 30, deny: { roles: ['banned'] } });
  const users = Array.from({ length: 1024 }, (_, i) => `user-${i}`);
  const contexts = users.map((userId) => ({ userId, roles: ['player'] }));
  const ofContexts = users.map((targetingKey) => ({ targetingKey, roles: ['player'] }));
  for (const name of ['bench-static', 'bench-split']) await plexus.flags.evaluate(name, contexts[0]!);
  if (plexus.flags.evaluateNow('bench-split', contexts[0]!) === undefined)
    throw new Error('flag not held in memory');

  const answers = new Map(users.map((u) => [u, true]));
  const N = 2_000_000;
  const baseline = nsPerOp((i) => answers.get(users[i & 1023]!), N);

  await OpenFeature.setProviderAndWait('plexus', new PlexusFlagProvider(plexus.flags));
  await OpenFeature.setProviderAndWait(
    'memory',
    new InMemoryProvider({
      'bench-static': { variants: { on: true, off: false }, defaultVariant: 'on', disabled: false },
      'bench-split': {
        variants: { on: true, off: false },
        defaultVariant: 'off',
        disabled: false,
        contextEvaluator: (ctx) => ((ctx.targetingKey ?? '').length % 10 < 3 ? 'on' : 'off'),
      },
    }),
  );
  const viaPlexus = OpenFeature.getClient('plexus');
  const viaMemory = OpenFeature.getClient('memory');
  const SDK_N = 200_000;
  console.log('\nFlag evaluation (ns/op; ratio to the Map.get baseline)');
  console.log(`  baseline Map.get                         ${fmt(baseline)} ns`);
  for (const name of ['bench-static', 'bench-split']) {
    const peekGcs = await collections(() => nsPerOp(() => plexus.settings.peek('features', name), N));
    const peek = peekGcs.result;
    const gcs = await collections(() =>
      nsPerOp((i) => plexus.flags.evaluateNow(name, contexts[i & 1023]!), N),
    );
    const direct = gcs.result;
    const sdkPlexus = await asyncNsPerOp(
      (i) => viaPlexus.getBooleanValue(name, false, ofContexts[i & 1023]!),
      SDK_N,
    );
    const sdkMemory = await asyncNsPerOp(
      (i) => viaMemory.getBooleanValue(name, false, ofContexts[i & 1023]!),
      SDK_N,
    );
    console.log(`  ${name}`);
    console.log(
      `    reference: settings.peek by key        ${fmt(peek)} ns  (${fmt(peek / baseline)}× baseline; ${peekGcs.count} GCs)`,
    );
    console.log(
      `    Plexus evaluateNow                     ${fmt(direct)} ns  (${fmt(direct / baseline)}× baseline, ${fmt(direct / peek)}× the peek; ${gcs.count} GCs in ${(N + 10_000).toLocaleString('en')} calls)`,
    );
    console.log(
      `    OpenFeature SDK → PlexusFlagProvider   ${fmt(sdkPlexus)} ns  (${fmt(sdkPlexus / baseline)}×)`,
    );
    console.log(
      `    OpenFeature SDK → InMemoryProvider     ${fmt(sdkMemory)} ns  (${fmt(sdkMemory / baseline)}×; Plexus/InMemory ${fmt(sdkPlexus / sdkMemory)})`,
    );
  }
  await OpenFeature.close();
}

async function tiers(plexus: Plexus, noL1: Plexus): Promise<void> {
  await plexus.settings.set('bench', 'tier', { text: 'hello', n: 1 });
  await plexus.settings.get('bench', 'tier');
  const N = 20_000;
  const l1 = await asyncNsPerOp(() => plexus.settings.get('bench', 'tier'), N * 10);
  const peek = nsPerOp(() => plexus.settings.peek('bench', 'tier'), N * 50);
  const l2 = await asyncNsPerOp(() => noL1.settings.get('bench', 'tier'), N);
  const db = await asyncNsPerOp(() => plexus.settings.repository.read('bench', 'tier'), N);
  console.log('\nConfig read per tier (µs/op; ratio to in-process)');
  console.log(`  in-process, peek (sync)    ${fmt(peek / 1000)} µs`);
  console.log(`  in-process, get            ${fmt(l1 / 1000)} µs  (1.00)`);
  console.log(`  Redis (no in-process tier) ${fmt(l2 / 1000)} µs  (${fmt(l2 / l1)}×)`);
  console.log(`  database (SQLite read)     ${fmt(db / 1000)} µs  (${fmt(db / l1)}×)`);
}

async function propagation(plexus: Plexus, prefix: string, dir: string): Promise<void> {
  const proc = fork(fileURLToPath(import.meta.url), ['child', prefix, dir], { execArgv: process.execArgv });
  const seen = new Map<number, number>();
  let ready!: () => void;
  const started = new Promise<void>((resolve) => {
    ready = resolve;
  });
  proc.on('message', (m: { ready?: boolean; version?: number; seenAt?: number }) => {
    if (m.ready) ready();
    else if (m.version !== undefined && !seen.has(m.version)) seen.set(m.version, m.seenAt!);
  });
  await started;
  const fromStart: number[] = [];
  const fromReturn: number[] = [];
  for (let i = 0; i < COUNT; i++) {
    const t0 = preciseNow();
    const entry = await plexus.settings.set('bench', 'prop', i);
    const t1 = preciseNow();
    const deadline = Date.now() + 2000;
    while (!seen.has(entry.version) && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    const at = seen.get(entry.version);
    if (at === undefined) throw new Error(`version ${entry.version} not seen by the child within 2 s`);
    fromStart.push(at - t0);
    fromReturn.push(at - t1);
    await new Promise((r) => setTimeout(r, 2));
  }
  proc.send({ stop: true });
  fromStart.sort((x, y) => x - y);
  fromReturn.sort((x, y) => x - y);
  console.log(`\nPropagation to another process (${COUNT} writes; ms, p50 / p99 / max)`);
  console.log(
    `  set() start → other process reads the new version  ${fmt(pct(fromStart, 0.5))} / ${fmt(pct(fromStart, 0.99))} / ${fmt(fromStart.at(-1)!)}`,
  );
  console.log(
    `  set() return → other process reads the new version ${fmt(pct(fromReturn, 0.5))} / ${fmt(pct(fromReturn, 0.99))} / ${fmt(fromReturn.at(-1)!)}`,
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-bench-flags-'));
  const prefix = `bench-flags-${process.pid}`;
  const plexus = createPlexus({ env: plexusEnv(prefix, dir), instanceId: 'bench-main' });
  await plexus.start();
  const noL1 = createPlexus({
    env: plexusEnv(prefix, dir, { CACHE_L1_MAX_ENTRIES: '0' }),
    instanceId: 'bench-nol1',
  });
  await noL1.start();
  try {
    console.log(`Node ${process.version}, Redis ${URL}, SQLite in ${dir}`);
    await evaluation(plexus);
    await tiers(plexus, noL1);
    await propagation(plexus, prefix, dir);
  } finally {
    await noL1.close();
    await plexus.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'child') await child(process.argv[3]!, process.argv[4]!);
else await main();
