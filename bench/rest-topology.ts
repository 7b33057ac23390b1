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
import { fmt, GetSetLoad, type GetSetTarget, median, type Round } from './support/get-set.js';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const ROUND_MS = Number(process.env.ROUND_MS ?? 1000);
const LEVELS = [1, 50];
const load = new GetSetLoad('bench:rest');

async function main(): Promise<void> {
  const rest = await startUpstashRest();
  const official = new Redis({ url: rest.url, token: rest.token, enableTelemetry: false });
  // 1 s command timeout, as in redis-wrapper.ts: a stall of the loaded machine must not open the
  // breaker and measure the machine instead of the topology.
  const layer = new RedisLayer(rest.config({ REDIS_COMMAND_TIMEOUT_MS: '1000' }));
  await layer.connect();
  if (layer.state !== 'ready') throw new Error(`layer is ${layer.state}: ${layer.reason}`);

  const targets: GetSetTarget[] = [
    { name: 'baseline', get: (k) => official.get(k), set: (k, v) => official.set(k, v) },
    { name: 'rest', get: (k) => layer.store.get(k), set: (k, v) => layer.store.set(k, v) },
  ];
  console.log(`REST server at ${rest.url}; ${ROUNDS} rounds of ${ROUND_MS} ms per client and level`);
  for (const target of targets) await load.measure(target, 50, 500); // warm up sockets and JIT

  const table: string[] = [];
  for (const inFlight of LEVELS) {
    const rounds = new Map<string, Round[]>(targets.map((t) => [t.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < targets.length; i++) {
        const target = targets[(i + round) % targets.length]!;
        rounds.get(target.name)!.push(await load.measure(target, inFlight, ROUND_MS));
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
  if (load.failures.size > 0) console.log('\nfailed calls:', Object.fromEntries(load.failures));

  await layer.close();
  await rest.stop();
}

await main();
