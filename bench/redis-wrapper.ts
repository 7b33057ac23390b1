/**
 * What the connection layer's wrapper costs: GET/SET throughput through `RedisLayer.store`
 * (timeout, breaker, stats, typed errors) against the raw node-redis client, at 1, 50 and 500
 * operations in flight, in the same run and against the same server.
 *
 * - baseline: raw node-redis `get`/`set`, configured for speed (its per-command timeout disabled);
 * - raw default: raw node-redis as shipped, with its 5 s per-command timeout (an AbortSignal
 *   timer per command), for context;
 * - raw sendCommand: raw node-redis `sendCommand(['GET', key])`, which skips the client's
 *   per-command argument parsing; the wrapper sends this way, so this row shows what the
 *   wrapper's own machinery costs, with nothing gained from that shortcut;
 * - wrapper: `layer.store.get/set`.
 * Target: wrapper >= 90% of the baseline at every level.
 *
 * Two figures per client: operations per second of wall time, and operations per CPU-second of
 * this process (process.cpuUsage). Redis runs in its own process, so the second is what the
 * client side costs per operation, and it is far less sensitive than wall time to other programs
 * taking the CPU on a shared machine. Each level runs ROUNDS rounds; a round runs every client
 * once for ROUND_MS, in a rotating order; ratios are medians of per-round ratios.
 *
 * The wrapper runs with a 1 s command timeout (BENCH_TIMEOUT_MS): its cost does not depend on the
 * value, and on an overloaded machine a 250 ms stall (the default timeout) would count as load.failures
 * and open the breaker, which measures the machine rather than the wrapper. Failures are reported.
 *
 * Run: npx tsx bench/redis-wrapper.ts
 *   By default it starts its own redis-server (no persistence) on a free port; set
 *   REDIS_URL=redis://127.0.0.1:6379 to use an existing one. ROUNDS=7 ROUND_MS=1000 by default.
 */
import { createClient } from 'redis';
import { loadRedisConfig } from '../src/config/redis.js';
import { RedisLayer } from '../src/redis/layer.js';
import { RedisProcess } from '../test/support/redis-process.js';
import { fmt, GetSetLoad, type GetSetTarget, median, type Round } from './support/get-set.js';

const ROUNDS = Number(process.env.ROUNDS ?? 7);
const ROUND_MS = Number(process.env.ROUND_MS ?? 1000);
const TIMEOUT_MS = process.env.BENCH_TIMEOUT_MS ?? '1000';
const LEVELS = [1, 50, 500];
const load = new GetSetLoad('bench:wrapper');

async function main(): Promise<void> {
  const server = process.env.REDIS_URL ? undefined : await RedisProcess.start();
  const url = process.env.REDIS_URL ?? `redis://${server!.address}`;
  const fast = createClient({ url, commandOptions: { timeout: 0 } });
  const plain = createClient({ url });
  const layer = new RedisLayer(
    loadRedisConfig({ REDIS_URL: url, REDIS_KEY_PREFIX: 'bench', REDIS_COMMAND_TIMEOUT_MS: TIMEOUT_MS }),
  );
  await Promise.all([fast.connect(), plain.connect(), layer.connect()]);
  if (layer.state !== 'ready') throw new Error(`layer is ${layer.state}: ${layer.reason}`);

  const targets: GetSetTarget[] = [
    { name: 'baseline', get: (k) => fast.get(k), set: (k, v) => fast.set(k, v) },
    { name: 'raw default', get: (k) => plain.get(k), set: (k, v) => plain.set(k, v) },
    {
      name: 'raw sendCommand',
      get: (k) => fast.sendCommand(['GET', k]),
      set: (k, v) => fast.sendCommand(['SET', k, v]),
    },
    { name: 'wrapper', get: (k) => layer.store.get(k), set: (k, v) => layer.store.set(k, v) },
  ];
  console.log(
    `Redis at ${url}; ${ROUNDS} rounds of ${ROUND_MS} ms per client and level; GET/SET alternating`,
  );
  for (const target of targets) await load.measure(target, 50, 300); // warm up connections and JIT

  const table: string[] = [];
  for (const inFlight of LEVELS) {
    const rounds = new Map<string, Round[]>(targets.map((t) => [t.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order so that no client always runs first (or right after another's GC).
      for (let i = 0; i < targets.length; i++) {
        const target = targets[(i + round) % targets.length]!;
        rounds.get(target.name)!.push(await load.measure(target, inFlight, ROUND_MS));
      }
    }
    const value = (name: string, metric: keyof Round) => median(rounds.get(name)!.map((r) => r[metric]));
    const ratio = (name: string, metric: keyof Round) =>
      median(rounds.get(name)!.map((r, i) => r[metric] / rounds.get('baseline')![i]![metric]));
    const cell = (name: string, metric: keyof Round) =>
      `${fmt(value(name, metric))} (${ratio(name, metric).toFixed(2)})`;
    table.push(
      `| ${inFlight} | ${fmt(value('baseline', 'wall'))} | ${cell('raw default', 'wall')} | ` +
        `${cell('raw sendCommand', 'wall')} | ${cell('wrapper', 'wall')} | ${fmt(value('baseline', 'cpu'))} | ` +
        `${cell('raw default', 'cpu')} | ${cell('raw sendCommand', 'cpu')} | **${cell('wrapper', 'cpu')}** |`,
    );
    console.log(
      `in flight ${String(inFlight).padStart(3)}: wrapper/baseline ${ratio('wrapper', 'wall').toFixed(2)} by wall ` +
        `time, ${ratio('wrapper', 'cpu').toFixed(2)} by CPU (wrapper/sendCommand by CPU ` +
        `${(value('wrapper', 'cpu') / value('raw sendCommand', 'cpu')).toFixed(2)}); per round (wall): ` +
        rounds
          .get('wrapper')!
          .map((r, i) => (r.wall / rounds.get('baseline')![i]!.wall).toFixed(2))
          .join(' '),
    );
  }
  console.log(
    '\n| in flight | baseline ops/s | raw default | raw sendCommand | wrapper ' +
      '| baseline ops/CPU-s | raw default | raw sendCommand | wrapper |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of table) console.log(row);
  if (load.failures.size > 0)
    console.log('\nfailed calls (timeouts under load):', Object.fromEntries(load.failures));

  await layer.close();
  await Promise.all([fast.close(), plain.close()]);
  await server?.destroy();
}

await main();
