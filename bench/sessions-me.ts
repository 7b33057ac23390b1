/**
 * Sessions: authenticated GET /api/1/auth/me throughput as a ratio of a bare Fastify route, and
 * the latency of one session read from Redis as a ratio of the raw node-redis client.
 *
 * 1. Throughput. `plexus start` (from source, Redis + SQLite) and the baseline (bench/sessions-
 *    bare.ts, same response size) each run in their own process; autocannon drives them from this
 *    one with a signed session cookie, alternating targets round by round so machine noise hits
 *    both alike. Every /me request checks the signed cookie (its HMAC once per cookie value) and
 *    finds the session in the server's local copy (SESSION_LOCAL_CACHE_MS, default 2 s), or reads
 *    and renews it in Redis (one EVALSHA) when the copy is older than that. Reports median req/s,
 *    ratio (target >= 0.60), p99, and the server process's CPU time per request (from /proc, so
 *    contention does not blur it); GET /api/1/status of the same server (no I/O) shows how much
 *    of the gap is the server itself, and a second server with SESSION_LOCAL_CACHE_MS=0 what a
 *    Redis round trip per request costs.
 * 2. Session read latency. In this process, one read at a time: `sessions.load` from Redis
 *    (renewing: the script call and decoding) against the raw client's HGETALL of the same hash,
 *    and `sessions.load` answered from the local copy. Reports p50/p99 and the p99 ratio.
 *
 * Usage: npx tsx bench/sessions-me.ts [--duration 5] [--rounds 7] [--connections 50] [--reads 20000]
 *   (REDIS_URL, default redis://127.0.0.1:6379)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createClient } from 'redis';
import { Accounts } from '../src/accounts/accounts.js';
import { loadDbConfig } from '../src/config/db.js';
import { loadRedisConfig } from '../src/config/redis.js';
import { loadAccountsConfig } from '../src/config/sessions.js';
import { Database } from '../src/db/database.js';
import { RedisLayer } from '../src/redis/layer.js';
import { Sessions } from '../src/sessions/sessions.js';
import {
  freePort,
  LOAD_OPTIONS,
  loadSettings,
  median,
  REDIS_URL,
  ROOT,
  runRounds,
  signIn,
  spawnBare,
  stop,
  type Target,
  waitForHttp,
} from './support/http.js';

const MAIN = join(ROOT, 'src/main.ts');

// Seven rounds: the ratio of the cached /me moves by ±0.05 from run to run with three on this machine.
const { values } = parseArgs({
  options: {
    ...LOAD_OPTIONS,
    rounds: { type: 'string', default: '7' },
    reads: { type: 'string', default: '20000' },
  },
});
const { duration, rounds, connections } = loadSettings(values);
const reads = Number(values.reads);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

async function throughput(dataDir: string, prefix: string): Promise<void> {
  const env = {
    DATABASE_URL: `sqlite:${join(dataDir, 'plexus.db')}`,
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    // The shared machine stalls Redis for more than the default 250 ms now and then; a timeout
    // would answer 503 and abort the run, so the bench gives commands longer.
    REDIS_COMMAND_TIMEOUT_MS: '2000',
    LOG_LEVEL: 'warn',
  };
  // The account, made the way an operator would (same database file the server opens).
  const db = new Database(loadDbConfig(env));
  await db.open();
  await new Accounts(db, loadAccountsConfig({})).create({
    login: 'bench@example.com',
    password: 'a benchmark password',
    roles: ['staff'],
  });
  await db.close();

  const [barePort, plexusPort, uncachedPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const bare = spawnBare('sessions-bare.ts', barePort);
  const server = (port: number, extra: Record<string, string> = {}) =>
    spawn(
      process.execPath,
      ['--import', 'tsx', MAIN, 'start', '--host', '127.0.0.1', '--port', String(port)],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', ...env, ...extra },
        stdio: 'ignore',
      },
    );
  const plexus = server(plexusPort);
  const uncached = server(uncachedPort, { SESSION_LOCAL_CACHE_MS: '0' });
  try {
    const meUrl = `http://127.0.0.1:${plexusPort}/api/1/auth/me`;
    // Signed out, /me answers 401: any answer below 500 means the server is up.
    const up = (r: Response) => r.status < 500;
    await Promise.all([
      waitForHttp(`http://127.0.0.1:${barePort}/bare`, bare, up),
      waitForHttp(meUrl, plexus, up),
      waitForHttp(`http://127.0.0.1:${uncachedPort}/api/1/auth/me`, uncached, up),
    ]);
    const cookie = await signIn(
      `http://127.0.0.1:${plexusPort}`,
      'bench@example.com',
      'a benchmark password',
    );

    const targets: Target[] = [
      {
        name: 'bare Fastify route (baseline)',
        url: `http://127.0.0.1:${barePort}/bare`,
        pid: bare.pid,
        cookie: undefined,
        runs: [],
      },
      {
        name: 'GET /api/1/status (no session)',
        url: `http://127.0.0.1:${plexusPort}/api/1/status`,
        pid: plexus.pid,
        cookie: undefined,
        runs: [],
      },
      {
        name: 'GET /api/1/auth/me, signed in',
        url: meUrl,
        pid: plexus.pid,
        cookie,
        runs: [],
      },
      {
        name: 'the same, SESSION_LOCAL_CACHE_MS=0',
        url: `http://127.0.0.1:${uncachedPort}/api/1/auth/me`,
        pid: uncached.pid,
        cookie,
        runs: [],
      },
    ];
    await runRounds(targets, { connections, rounds, duration });
    const baseline = median(targets[0]!.runs.map((r) => r.rps));
    console.log(
      `throughput: ${connections} connections, ${rounds} rounds of ${duration} s, median of rounds`,
    );
    for (const target of targets) {
      const rps = median(target.runs.map((r) => r.rps));
      const p99 = median(target.runs.map((r) => r.p99));
      const cpu = median(target.runs.map((r) => r.cpu));
      console.log(
        `  ${target.name.padEnd(34)} ${Math.round(rps).toString().padStart(7)} req/s  ratio ${(rps / baseline).toFixed(2)}  p99 ${p99} ms  server CPU ${cpu.toFixed(1)} µs/req`,
      );
    }
    const health = await fetch(`http://127.0.0.1:${plexusPort}/api/1/health/sessions`);
    const { localCache } = (await health.json()) as { localCache: { hits: number; misses: number } };
    const reads = localCache.hits + localCache.misses;
    console.log(
      `  local copy: ${localCache.hits} of ${reads} session reads (${((100 * localCache.hits) / reads).toFixed(3)}%); the rest went to Redis`,
    );
  } finally {
    await Promise.all([stop(bare), stop(plexus), stop(uncached)]);
  }
}

async function readLatency(prefix: string): Promise<void> {
  const layer = new RedisLayer(
    loadRedisConfig({
      REDIS_MODE: 'single',
      REDIS_URL,
      REDIS_KEY_PREFIX: `${prefix}-reads`,
      REDIS_COMMAND_TIMEOUT_MS: '2000',
    }),
  );
  await layer.connect();
  const sessions = new Sessions(layer, { ttlMs: 86_400_000 });
  const copying = new Sessions(layer, { ttlMs: 86_400_000, localCache: { maxAgeMs: 5000, maxEntries: 10 } });
  await copying.start();
  while (copying.health().localCache?.trusted !== true) await new Promise((r) => setTimeout(r, 10));
  const raw = createClient({ url: REDIS_URL });
  await raw.connect();
  const user = { id: '4b8f5a8e-3f6c-4f7e-9d2a-0c1e5b7a9d31', login: 'bench@example.com', roles: ['staff'] };
  const record = await sessions.create({
    user,
    ttlMs: 86_400_000,
    device: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0',
    ip: '203.0.113.7',
    data: { cart: ['book', 'pen'], theme: 'dark' },
  });
  const key = layer.keys.sessions.session(record.id);

  const time = async (op: () => Promise<unknown>): Promise<number[]> => {
    const samples: number[] = [];
    for (let i = 0; i < reads; i++) {
      const start = performance.now();
      await op();
      samples.push(performance.now() - start);
    }
    return samples.sort((a, b) => a - b);
  };
  const runs = { raw: [] as number[][], plexus: [] as number[][], local: [] as number[][] };
  await time(() => raw.hGetAll(key)); // warm-up
  await time(() => sessions.load(record.id));
  await time(() => copying.load(record.id));
  for (let round = 0; round < rounds; round++) {
    runs.raw.push(await time(() => raw.hGetAll(key)));
    runs.plexus.push(await time(() => sessions.load(record.id)));
    runs.local.push(await time(() => copying.load(record.id)));
  }
  const summary = (all: number[][]) => ({
    p50: median(all.map((s) => percentile(s, 0.5))),
    p99: median(all.map((s) => percentile(s, 0.99))),
  });
  const base = summary(runs.raw);
  const ours = summary(runs.plexus);
  const local = summary(runs.local);
  console.log(`\nsession read latency: one at a time, ${reads} reads x ${rounds} rounds, median of rounds`);
  console.log(
    `  raw node-redis HGETALL (baseline)  p50 ${base.p50.toFixed(3)} ms  p99 ${base.p99.toFixed(3)} ms`,
  );
  console.log(
    `  sessions.load (read + renew)       p50 ${ours.p50.toFixed(3)} ms  p99 ${ours.p99.toFixed(3)} ms  p99 ratio ${(ours.p99 / base.p99).toFixed(2)}`,
  );
  console.log(
    `  sessions.load, local copy on       p50 ${local.p50.toFixed(3)} ms  p99 ${local.p99.toFixed(3)} ms  p99 ratio ${(local.p99 / base.p99).toFixed(2)} (a Redis read every 5 s)`,
  );
  await sessions.destroy(record.id);
  await sessions.close();
  await copying.close();
  await raw.close();
  await layer.close();
}

const dataDir = mkdtempSync(join(tmpdir(), 'plexus-bench-sessions-'));
const prefix = `bench-sess-${process.pid}`;
try {
  await throughput(dataDir, prefix);
  await readLatency(prefix);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
