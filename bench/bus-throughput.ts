/**
 * Bus throughput and latency between two processes on one Redis. This process publishes; a child
 * process subscribes and timestamps every arrival on the host's shared wall clock (epoch ms with
 * sub-ms precision), so latency is publish call → handler, across the process boundary.
 *   - latency: COUNT messages paced one per millisecond, p50 / p99 / max;
 *   - throughput: BURST messages with up to 256 publishes in flight, messages per second until
 *     the child has received the last one.
 * Baseline, same run and same processes: raw node-redis PUBLISH → SUBSCRIBE listener with the
 * same JSON payload. The bus adds channel validation, the JSON envelope, the executor (timeout,
 * breaker, stats) and the in-process event matching.
 * Run: npx tsx bench/bus-throughput.ts   (REDIS_URL, COUNT=2000, BURST=20000; add --cluster to
 * run both on a Redis Cluster started for the occasion)
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createClient, createCluster } from 'redis';
import { Bus } from '../src/bus/index.js';
import { loadRedisConfig, type RedisConfig } from '../src/config/redis.js';
import { RedisLayer } from '../src/redis/layer.js';

const URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const COUNT = Number(process.env.COUNT ?? 2000);
const BURST = Number(process.env.BURST ?? 20_000);
const IN_FLIGHT = 256;
const TEXT = 'x'.repeat(100);
const now = () => performance.timeOrigin + performance.now();

type Kind = 'bus' | 'raw';
type ToChild = { cmd: 'latencies' } | { cmd: 'await'; kind: Kind; count: number } | { cmd: 'exit' };
type FromChild =
  | { ready: true }
  | { latencies: Record<Kind, number[]> }
  | { received: number; lastAt: number };
interface Payload {
  i: number;
  t: number;
  text: string;
}

function redisConfig(prefix: string, seeds: string | undefined): RedisConfig {
  return loadRedisConfig(
    seeds === undefined
      ? { REDIS_MODE: 'single', REDIS_URL: URL, REDIS_KEY_PREFIX: prefix }
      : { REDIS_MODE: 'cluster', REDIS_CLUSTER_NODES: seeds, REDIS_KEY_PREFIX: prefix },
  );
}

interface RawClient {
  publish(channel: string, message: string): Promise<unknown>;
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
  close(): Promise<unknown>;
}

/** The baseline: plain node-redis (PUBLISH/SUBSCRIBE, or SPUBLISH/SSUBSCRIBE on Cluster). */
async function rawClient(seeds: string | undefined): Promise<RawClient> {
  if (seeds === undefined) {
    const client = createClient({ url: URL });
    await client.connect();
    return {
      publish: (channel, message) => client.publish(channel, message),
      subscribe: (channel, listener) => client.subscribe(channel, listener),
      close: () => client.close(),
    };
  }
  const cluster = createCluster({ rootNodes: seeds.split(',').map((s) => ({ url: `redis://${s}` })) });
  await cluster.connect();
  return {
    publish: (channel, message) => cluster.sPublish(channel, message),
    subscribe: (channel, listener) => cluster.sSubscribe(channel, listener),
    close: () => cluster.close(),
  };
}

async function child(prefix: string, seeds: string | undefined): Promise<void> {
  const layer = new RedisLayer(redisConfig(prefix, seeds));
  await layer.connect();
  const bus = new Bus(layer, { instanceId: 'child', maxPayloadBytes: 65_536 });
  const raw = await rawClient(seeds);
  const latencies: Record<Kind, number[]> = { bus: [], raw: [] };
  const counts: Record<Kind, number> = { bus: 0, raw: 0 };
  const lastAt: Record<Kind, number> = { bus: 0, raw: 0 };
  let waiting: { kind: Kind; count: number } | undefined;
  const arrived = (kind: Kind, payload: Payload) => {
    const at = now();
    if (payload.i < 0) latencies[kind].push(at - payload.t);
    counts[kind]++;
    lastAt[kind] = at;
    if (waiting?.kind === kind && counts[kind] >= waiting.count) {
      process.send!({ received: counts[kind], lastAt: at } satisfies FromChild);
      waiting = undefined;
    }
  };
  await bus.subscribe<Payload>('bench:bus:*', (data) => arrived('bus', data));
  await raw.subscribe(`${prefix}:raw`, (message) => arrived('raw', JSON.parse(message) as Payload));
  process.on('message', async (message: ToChild) => {
    if (message.cmd === 'latencies') process.send!({ latencies } satisfies FromChild);
    if (message.cmd === 'await') {
      counts[message.kind] = 0;
      waiting = { kind: message.kind, count: message.count };
    }
    if (message.cmd === 'exit') {
      await Promise.all([bus.close(), raw.close()]);
      await layer.close();
      process.exit(0);
    }
  });
  process.send!({ ready: true } satisfies FromChild);
}

function stats(values: number[]): { p50: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p99: at(0.99), max: sorted.at(-1)! };
}

async function parent(seeds: string | undefined): Promise<void> {
  const prefix = `bench-bus-${process.pid}`;
  const proc = fork(fileURLToPath(import.meta.url), ['--child', prefix, seeds ?? ''], {
    execArgv: ['--import', 'tsx'],
  });
  const inbox: FromChild[] = [];
  proc.on('message', (m: FromChild) => inbox.push(m));
  const next = () =>
    new Promise<FromChild>((resolve) => {
      const take = () => (inbox.length > 0 ? resolve(inbox.shift()!) : setTimeout(take, 2));
      take();
    });
  await next();

  const layer = new RedisLayer(redisConfig(prefix, seeds));
  await layer.connect();
  const bus = new Bus(layer, { instanceId: 'parent', maxPayloadBytes: 65_536 });
  const raw = await rawClient(seeds);
  const send: Record<Kind, (p: Payload) => Promise<unknown>> = {
    bus: (p) => bus.publish('bench:bus:tick', p),
    raw: (p) => raw.publish(`${prefix}:raw`, JSON.stringify(p)),
  };

  // Warm-up, then latency: both kinds interleaved, one message per millisecond.
  for (let i = 0; i < 200; i++)
    await Promise.all([send.bus({ i, t: now(), text: TEXT }), send.raw({ i, t: now(), text: TEXT })]);
  for (let i = 0; i < COUNT; i++) {
    await send.bus({ i: -1, t: now(), text: TEXT });
    await send.raw({ i: -1, t: now(), text: TEXT });
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  proc.send({ cmd: 'latencies' } satisfies ToChild);
  const { latencies } = (await next()) as { latencies: Record<Kind, number[]> };

  const throughput: Record<Kind, number> = { bus: 0, raw: 0 };
  for (const kind of ['bus', 'raw', 'bus', 'raw'] as Kind[]) {
    proc.send({ cmd: 'await', kind, count: BURST } satisfies ToChild);
    const started = now();
    let inFlight = 0;
    for (let i = 0; i < BURST; i++) {
      inFlight++;
      void send[kind]({ i, t: 0, text: TEXT }).finally(() => inFlight--);
      if (inFlight >= IN_FLIGHT) await new Promise((resolve) => setImmediate(resolve));
      while (inFlight >= IN_FLIGHT) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    const done = (await next()) as { received: number; lastAt: number };
    throughput[kind] = Math.max(throughput[kind], BURST / ((done.lastAt - started) / 1000));
  }

  const b = stats(latencies.bus);
  const r = stats(latencies.raw);
  const fmt = (n: number) => n.toFixed(3).padStart(7);
  console.log(
    `Bus between two processes on ${seeds === undefined ? `Redis ${URL}` : 'a Redis Cluster (sharded pub/sub)'}`,
  );
  console.log(
    `  latency, ${COUNT} paced messages (${latencies.bus.length} bus, ${latencies.raw.length} raw received)`,
  );
  console.log(`    raw node-redis  p50 ${fmt(r.p50)} ms  p99 ${fmt(r.p99)} ms  max ${fmt(r.max)} ms`);
  console.log(`    plexus bus      p50 ${fmt(b.p50)} ms  p99 ${fmt(b.p99)} ms  max ${fmt(b.max)} ms`);
  console.log(`    ratio bus/raw   p50 ${(b.p50 / r.p50).toFixed(2)}x  p99 ${(b.p99 / r.p99).toFixed(2)}x`);
  console.log(`  throughput, ${BURST} messages, ${IN_FLIGHT} in flight (best of 2)`);
  console.log(`    raw node-redis  ${Math.round(throughput.raw).toLocaleString('en')} msg/s`);
  console.log(`    plexus bus      ${Math.round(throughput.bus).toLocaleString('en')} msg/s`);
  console.log(`    ratio bus/raw   ${(throughput.bus / throughput.raw).toFixed(2)}x`);

  proc.send({ cmd: 'exit' } satisfies ToChild);
  await Promise.all([bus.close(), raw.close()]);
  await layer.close();
}

if (process.argv[2] === '--child') {
  await child(process.argv[3]!, process.argv[4] || undefined);
} else if (process.argv.includes('--cluster')) {
  const { startCluster } = await import('../test/support/topology.js');
  const cluster = await startCluster();
  try {
    await parent(cluster.seeds);
  } finally {
    await cluster.stop();
  }
} else {
  await parent(undefined);
}
