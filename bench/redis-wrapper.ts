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
 * value, and on an overloaded machine a 250 ms stall (the default timeout) would count as failures
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

const ROUNDS = Number(process.env.ROUNDS ?? 7);
const ROUND_MS = Number(process.env.ROUND_MS ?? 1000);
const TIMEOUT_MS = process.env.BENCH_TIMEOUT_MS ?? '1000';
const LEVELS = [1, 50, 500];
const KEYS = Array.from({ length: 1000 }, (_, i) => `bench:wrapper:${i}`);
const VALUE = 'x'.repeat(100);

interface Target {
  name: string;
  get(key: string): Promise<unknown>;
  set(key: string, value: string): Promise<unknown>;
}

interface Round {
  /** Successful operations per second of wall time. */
  wall: number;
  /** Successful operations per CPU-second of this process. */
  cpu: number;
}

/** Calls that failed (timeouts on an overloaded machine), reported with the results. */
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
  const server = process.env.REDIS_URL ? undefined : await RedisProcess.start();
  const url = process.env.REDIS_URL ?? `redis://${server!.address}`;
  const fast = createClient({ url, commandOptions: { timeout: 0 } });
  const plain = createClient({ url });
  const layer = new RedisLayer(
    loadRedisConfig({ REDIS_URL: url, REDIS_KEY_PREFIX: 'bench', REDIS_COMMAND_TIMEOUT_MS: TIMEOUT_MS }),
  );
  await Promise.all([fast.connect(), plain.connect(), layer.connect()]);
  if (layer.state !== 'ready') throw new Error(`layer is ${layer.state}: ${layer.reason}`);

  const targets: Target[] = [
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
  for (const target of targets) await measure(target, 50, 300); // warm up connections and JIT

  const table: string[] = [];
  for (const inFlight of LEVELS) {
    const rounds = new Map<string, Round[]>(targets.map((t) => [t.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order so that no client always runs first (or right after another's GC).
      for (let i = 0; i < targets.length; i++) {
        const target = targets[(i + round) % targets.length]!;
        rounds.get(target.name)!.push(await measure(target, inFlight, ROUND_MS));
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
  if (failures.size > 0) console.log('\nfailed calls (timeouts under load):', Object.fromEntries(failures));

  await layer.close();
  await Promise.all([fast.close(), plain.close()]);
  await server?.destroy();
}

await main();
