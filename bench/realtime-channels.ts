/**
 * Which pub/sub layout the realtime hub should use on a single Redis node (docs/realtime.md):
 * `endpoint` (one channel per endpoint, every instance with connections on it gets every message
 * and routes it in process) or `stream` (one channel per broadcast/user/room stream, subscribed only
 * where an instance has members). Two hubs in this process over one Redis, both layouts in the same
 * run, alternated over rounds:
 *   rooms: 200 rooms, each with 2 connections on ONE instance (half the rooms on each), so a room
 *     message is useful to one instance only; 4,000 messages published from instance A, 64 in flight.
 *   joins: 400 connections each joining a fresh room (what a per-room subscription costs).
 * Prints messages/s until every delivery arrived, Redis CPU ms per 1,000 messages, join latency.
 *
 *   node --import tsx bench/realtime-channels.ts [--rounds 3]
 */
import { parseArgs } from 'node:util';
import { createClient } from 'redis';
import WebSocket from 'ws';
import { createPlexus, type Plexus } from '../src/index.js';
import { createServer, type PlexusServer } from '../src/server/index.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
const ROUNDS = Number(values.rounds);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ROOMS = 200;
const MESSAGES = 4000;
const IN_FLIGHT = 64;

interface Hub {
  plexus: Plexus;
  server: PlexusServer;
  url: string;
}

async function hubs(layout: 'endpoint' | 'stream', prefix: string): Promise<Hub[]> {
  const made: Hub[] = [];
  for (let i = 0; i < 2; i++) {
    const env = {
      HOST: '127.0.0.1',
      PORT: '0',
      DATABASE_URL: 'sqlite::memory:',
      PLEXUS_APPS: '',
      REDIS_MODE: 'single',
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      REALTIME_CHANNELS: layout,
      REALTIME_RATE_PER_SECOND: '100000',
      LOG_LEVEL: 'error',
    };
    const plexus = createPlexus({ env });
    const server = createServer(plexus);
    await plexus.start();
    const url = (await server.listen()).replace('http', 'ws');
    made.push({ plexus, server, url });
  }
  return made;
}

function connect(url: string, onMessage: (frame: string) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}/api/1/ws/jpulse-ws-test`);
    ws.on('message', (data) => {
      const text = data.toString();
      if (text.startsWith('{"t":"welcome"')) resolve(ws);
      else onMessage(text);
    });
    ws.on('error', reject);
  });
}

function join(ws: WebSocket, room: string): Promise<void> {
  return new Promise((resolve) => {
    const listener = (data: WebSocket.RawData) => {
      if (data.toString().startsWith('{"t":"ok"')) {
        ws.off('message', listener);
        resolve();
      }
    };
    ws.on('message', listener);
    ws.send(JSON.stringify({ t: 'join', room, id: 1 }));
  });
}

interface InfoClient {
  info(section: string): Promise<string>;
}

async function redisCpuMs(client: InfoClient): Promise<number> {
  const info = await client.info('cpu');
  const user = Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1]);
  const sys = Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1]);
  return (user + sys) * 1000;
}

async function run(layout: 'endpoint' | 'stream', redis: InfoClient) {
  const prefix = `bench-rtch-${layout}-${Date.now()}`;
  const [a, b] = (await hubs(layout, prefix)) as [Hub, Hub];
  let delivered = 0;
  let done: () => void = () => {};
  const sockets: WebSocket[] = [];
  for (let r = 0; r < ROOMS; r++) {
    const hub = r % 2 === 0 ? a : b;
    for (let m = 0; m < 2; m++) {
      const ws = await connect(hub.url, () => {
        if (++delivered === MESSAGES * 2) done();
      });
      await join(ws, `r${r}`);
      sockets.push(ws);
    }
  }
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const api = a.plexus.realtime.endpoint('jpulse-ws-test');
  const cpuBefore = await redisCpuMs(redis);
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < MESSAGES) {
        const i = next++;
        await api.toRoom(`r${i % ROOMS}`, 'm', { i });
      }
    }),
  );
  await finished;
  const seconds = (performance.now() - started) / 1000;
  const cpu = (await redisCpuMs(redis)) - cpuBefore;

  // Joins: fresh rooms, one connection each, sequential.
  const joiners = await Promise.all(
    Array.from({ length: 50 }, (_, i) => connect((i % 2 ? a : b).url, () => {})),
  );
  const joinStarted = performance.now();
  let j = 0;
  for (const ws of joiners) for (let k = 0; k < 8; k++) await join(ws, `fresh-${j++}`);
  const joinMs = (performance.now() - joinStarted) / j;

  for (const ws of [...sockets, ...joiners]) ws.terminate();
  for (const hub of [a, b]) await hub.server.stop();
  return { rate: MESSAGES / seconds, redisCpuPer1000: (cpu / MESSAGES) * 1000, joinMs };
}

const redis = createClient({ url: REDIS_URL });
await redis.connect();
const results: Record<string, { rate: number[]; cpu: number[]; join: number[] }> = {
  endpoint: { rate: [], cpu: [], join: [] },
  stream: { rate: [], cpu: [], join: [] },
};
for (let round = 0; round < ROUNDS; round++) {
  for (const layout of ['endpoint', 'stream'] as const) {
    const r = await run(layout, redis);
    results[layout]!.rate.push(r.rate);
    results[layout]!.cpu.push(r.redisCpuPer1000);
    results[layout]!.join.push(r.joinMs);
    console.log(
      `round ${round + 1} ${layout}: ${r.rate.toFixed(0)} msg/s, Redis ${r.redisCpuPer1000.toFixed(1)} ms CPU/1000 msg, join ${r.joinMs.toFixed(2)} ms`,
    );
  }
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const e = results.endpoint!;
const s = results.stream!;
console.log('\nlayout    msg/s   Redis CPU ms/1000 msg   join ms');
for (const [name, r] of [
  ['endpoint', e],
  ['stream', s],
] as const) {
  console.log(
    `${name.padEnd(9)} ${median(r.rate).toFixed(0).padStart(6)}   ${median(r.cpu).toFixed(1).padStart(8)}                ${median(r.join).toFixed(2)}`,
  );
}
console.log(
  `stream/endpoint: throughput ${(median(s.rate) / median(e.rate)).toFixed(2)}x, Redis CPU ${(median(s.cpu) / median(e.cpu)).toFixed(2)}x, join ${(median(s.join) / median(e.join)).toFixed(2)}x`,
);
await redis.quit();
process.exit(0);
