/**
 * GET /api/1/status throughput as a ratio of a bare Fastify route, and idle memory per process.
 *
 * Each server runs in its own process (the built CLI with the V8 flags of `npm start`, as users
 * run it; the baseline from bench/server-bare.ts); autocannon drives them from this process,
 * alternating targets round by round so that machine noise hits all of them alike. Reports the
 * median req/s of each, the ratio to the baseline (target >= 0.70), p99 latency, and the resident
 * memory (VmRSS) of an idle Plexus process and of each idle worker of `--workers 2`
 * (target < 120 MB with the embedded database).
 *
 * Usage: npm run build && npx tsx bench/server-status.ts [--duration 5] [--rounds 3] [--connections 50]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SEMI_SPACE_FLAG } from '../src/cli/node-flags.js';
import {
  childPids,
  freePort,
  LOAD_OPTIONS,
  loadSettings,
  median,
  REDIS_URL,
  ROOT,
  runRounds,
  spawnBare,
  stop,
  type Target,
  waitForHttp,
} from './support/http.js';

const BIN = join(ROOT, 'bin/plexus.js');

const { values } = parseArgs({ options: LOAD_OPTIONS });
const { duration, rounds, connections } = loadSettings(values);

/** `node bin/plexus.js start`, with the V8 flags `npm start` uses unless `nodeFlags` says otherwise. */
function startPlexus(
  port: number,
  dataDir: string,
  env: Record<string, string>,
  args: string[] = [],
  nodeFlags: string[] = [SEMI_SPACE_FLAG],
): ChildProcess {
  return spawn(
    process.execPath,
    [...nodeFlags, BIN, 'start', '--host', '127.0.0.1', '--port', String(port), ...args],
    { env: { PATH: process.env.PATH ?? '', PLEXUS_DATA_DIR: dataDir, ...env }, stdio: 'ignore' },
  );
}

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
  return line === null ? Number.NaN : Math.round(Number(line[1]) / 1024);
}

async function main(): Promise<void> {
  const built = join(ROOT, 'dist/src/main.js');
  if (!existsSync(built)) throw new Error('dist/ is missing: run `npm run build` first');
  if (statSync(join(ROOT, 'src/server/app.ts')).mtimeMs > statSync(built).mtimeMs) {
    console.warn('warning: src/ is newer than dist/; run `npm run build` for current figures');
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'plexus-bench-'));
  const [barePort, memoryPort, redisPort, clusterPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);

  const bare = spawnBare('server-bare.ts', barePort);
  const memory = startPlexus(memoryPort, join(dataDir, 'memory'), {});
  const redis = startPlexus(redisPort, join(dataDir, 'redis'), {
    REDIS_URL,
    REDIS_KEY_PREFIX: `bench-${process.pid}`,
  });
  const targets: (Target & { process: ChildProcess })[] = [
    {
      name: 'bare Fastify route (baseline)',
      url: `http://127.0.0.1:${barePort}/bare`,
      process: bare,
      runs: [],
    },
    {
      name: 'GET /api/1/status, memory + SQLite',
      url: `http://127.0.0.1:${memoryPort}/api/1/status`,
      process: memory,
      runs: [],
    },
    {
      name: 'GET /api/1/status, Redis + SQLite',
      url: `http://127.0.0.1:${redisPort}/api/1/status`,
      process: redis,
      runs: [],
    },
  ];
  try {
    await Promise.all(targets.map((t) => waitForHttp(t.url, t.process)));
    await new Promise((r) => setTimeout(r, 3000));
    const idleRss = rssMb(memory.pid!);

    await runRounds(targets, { connections, rounds, duration });
    const baseline = median(targets[0]!.runs.map((r) => r.rps));
    console.log(
      `\nthroughput: ${connections} connections, ${rounds} rounds of ${duration} s, median of rounds`,
    );
    for (const target of targets) {
      const rps = median(target.runs.map((r) => r.rps));
      const p99 = median(target.runs.map((r) => r.p99));
      console.log(
        `  ${target.name.padEnd(38)} ${Math.round(rps).toString().padStart(7)} req/s  ` +
          `ratio ${(rps / baseline).toFixed(2)}  p99 ${p99} ms`,
      );
    }
    await new Promise((r) => setTimeout(r, 5000));
    console.log(`\nmemory (VmRSS):`);
    console.log(
      `  npm start (${SEMI_SPACE_FLAG}), memory + SQLite: idle after start ${idleRss} MB, idle after load ${rssMb(memory.pid!)} MB`,
    );
  } finally {
    await Promise.all(targets.map((t) => stop(t.process)));
  }

  const plain = startPlexus(clusterPort, join(dataDir, 'plain'), {}, [], []);
  try {
    await waitForHttp(`http://127.0.0.1:${clusterPort}/api/1/status`, plain);
    await new Promise((r) => setTimeout(r, 5000));
    console.log(`  node bin/plexus.js start (no V8 flags), memory + SQLite: idle ${rssMb(plain.pid!)} MB`);
  } finally {
    await stop(plain);
  }

  const cluster = startPlexus(
    clusterPort,
    join(dataDir, 'cluster'),
    { REDIS_URL, REDIS_KEY_PREFIX: `bench-c-${process.pid}` },
    ['--workers', '2'],
    [],
  );
  try {
    await waitForHttp(`http://127.0.0.1:${clusterPort}/api/1/status`, cluster);
    await new Promise((r) => setTimeout(r, 5000));
    const workers = childPids(cluster.pid!);
    console.log(
      `  plexus start --workers 2 (Redis + SQLite), idle: primary ${rssMb(cluster.pid!)} MB, workers ${workers
        .map((pid) => `${rssMb(pid)} MB`)
        .join(', ')}`,
    );
  } finally {
    await stop(cluster);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
