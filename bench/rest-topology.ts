/**
 * What Plexus's rest topology costs against the official client: GET/SET throughput through
 * `RedisLayer.store` on REDIS_MODE=rest (timeout, breaker, stats, typed errors, its own fetch
 * transport batching concurrent calls into /pipeline) against `@upstash/redis` called directly,
 * both against the same local Upstash REST server (test/support/upstash-rest-server.ts, its own
 * process, in front of its own redis-server), at 1 and 50 operations in flight, in the same run.
 *
 * - baseline: `new Redis({ url, token })` from @upstash/redis with its defaults (auto-pipelining,
 *   base64 replies, JSON deserialization), telemetry off;
 * - rest topology: `layer.store.get/set`.
 * Target: rest topology >= 0.9x the baseline at both levels.
 *
 * Two figures per client, as in redis-wrapper.ts: operations per second of wall time (mostly what
 * the REST server, a Node process, can answer) and operations per CPU-second of this process (what
 * the client side costs). Each level runs ROUNDS rounds; a round runs both clients for ROUND_MS in
 * alternating order; ratios are medians of per-round ratios.
 *
 * Run: npx tsx bench/rest-topology.ts      # ROUNDS=5 ROUND_MS=1000 by default
 */
import { Redis } from '@upstash/redis';
import { RedisLayer } from '../src/redis/layer.js';
import { startUpstashRest } from '../test/support/upstash-rest.js';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const ROUND_MS = Number(process.env.ROUND_MS ?? 1000);
const LEVELS = [1, 50];
const KEYS = Array.from({ length: 1000 }, (_, i) => `bench:rest:${i}`);
const VALUE = 'x'.repeat(100);

interface Target {
  name: string;
  get(key: string): Promise<unknown>;
  set(key: string, value: string): Promise<unknown>;
}

interface Round {
  wall: number;
  cpu: number;
}

const failures = new Map<string, number>();

/** `inFlight` loops, each issuing GET and SET alternately, for `ms`. */
async function measure(target: Target, inFlight: number, ms: number): Promise<Round> {
  let count = 0;
  const end = performance.now() + ms;
  const loop = async (start: number) => {
    for (let i = start; performance.now() < end; i += inFlight) {
      const key = KEYS[i % KEYS.length]!;
      try {
        await (i & 1 ? target.get(key) : target.set(key, VALUE));
        count++;
      } catch {
        failures.set(target.name, (failures.get(target.name) ?? 0) + 1);
      }
    }
  };
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await Promise.all(Array.from({ length: inFlight }, (_, i) => loop(i)));
  const cpu = process.cpuUsage(cpuBefore);
  return {
    wall: (count * 1000) / (performance.now() - started),
    cpu: (count * 1e6) / (cpu.user + cpu.system),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const rest = await startUpstashRest();
  const official = new Redis({ url: rest.url, token: rest.token, enableTelemetry: false });
  // 1 s command timeout, as in redis-wrapper.ts: a stall of the loaded machine must not open the
  // breaker and measure the machine instead of the topology.
  const layer = new RedisLayer(rest.config({ REDIS_COMMAND_TIMEOUT_MS: '1000' }));
  await layer.connect();
  if (layer.state !== 'ready') throw new Error(`layer is ${layer.state}: ${layer.reason}`);

  const targets: Target[] = [
    { name: 'baseline', get: (k) => official.get(k), set: (k, v) => official.set(k, v) },
    { name: 'rest', get: (k) => layer.store.get(k), set: (k, v) => layer.store.set(k, v) },
  ];
  console.log(`REST server at ${rest.url}; ${ROUNDS} rounds of ${ROUND_MS} ms per client and level`);
  for (const target of targets) await measure(target, 50, 500); // warm up sockets and JIT

  const table: string[] = [];
  for (const inFlight of LEVELS) {
    const rounds = new Map<string, Round[]>(targets.map((t) => [t.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < targets.length; i++) {
        const target = targets[(i + round) % targets.length]!;
        rounds.get(target.name)!.push(await measure(target, inFlight, ROUND_MS));
      }
    }
    const value = (name: string, metric: keyof Round) => median(rounds.get(name)!.map((r) => r[metric]));
    const ratio = (metric: keyof Round) =>
      median(rounds.get('rest')!.map((r, i) => r[metric] / rounds.get('baseline')![i]![metric]));
    table.push(
      `| ${inFlight} | ${fmt(value('baseline', 'wall'))} | ${fmt(value('rest', 'wall'))} | **${ratio('wall').toFixed(2)}** | ` +
        `${fmt(value('baseline', 'cpu'))} | ${fmt(value('rest', 'cpu'))} | **${ratio('cpu').toFixed(2)}** |`,
    );
    console.log(
      `in flight ${String(inFlight).padStart(2)}: rest/baseline ${ratio('wall').toFixed(2)} by wall time, ` +
        `${ratio('cpu').toFixed(2)} by CPU; per round (wall): ` +
        rounds
          .get('rest')!
          .map((r, i) => (r.wall / rounds.get('baseline')![i]!.wall).toFixed(2))
          .join(' '),
    );
  }
  console.log(
    '\n| in flight | @upstash/redis ops/s | rest topology ops/s | ratio | @upstash/redis ops/CPU-s | rest topology ops/CPU-s | ratio |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of table) console.log(row);
  if (failures.size > 0) console.log('\nfailed calls:', Object.fromEntries(failures));

  await layer.close();
  await rest.stop();
}

await main();
