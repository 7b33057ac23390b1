/**
 * Cached QR images over HTTP, against a bare Fastify route serving a PNG of the same size.
 *
 * 25,000 students are imported into an embedded database file and their default PNGs warmed into
 * Redis (a redis-server of its own, or REDIS_URL); then `plexus start` (from source, through tsx) serves
 * them and autocannon drives it from this process, alternating with the baseline
 * (bench/qr-http-bare.ts) round by round. Scenarios:
 *
 * - 100 connections over 1,000 students (the in-process tier answers): req/s ratio (target >= 0.70)
 *   and p99 (target < 10 ms);
 * - 100 connections over all 25,000 students (more than the in-process tier holds by default, so
 *   most answers come from Redis);
 * - 100 connections sending RATE (3,000) requests per second in all: p99 below saturation, where
 *   a closed loop's latency is just connections / throughput;
 * - 5,000 connections over 1,000 students: no errors, no timeouts, every answer a 200.
 *
 * Each line also gives the server's own CPU time per request (utime + stime from /proc), which the
 * load of other processes on the machine does not blur; `GET /api/1/status` of the same server
 * (no I/O) separates the reference server's own per-request cost from the QR route's.
 *
 * Run: npx tsx bench/qr-http.ts [--duration 5] [--rounds 3]   (STUDENTS=25000 RATE=3000)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { createClient } from 'redis';
import { qrApp } from '../src/apps/qr/app.js';
import { createPlexus } from '../src/index.js';
import { RedisProcess } from '../test/support/redis-process.js';
import { freePort } from './support/http.js';

const ROOT = new URL('..', import.meta.url).pathname;
// A redis-server of its own (other processes' traffic on a shared one would be noise), or REDIS_URL.
const ownRedis = process.env.REDIS_URL === undefined ? await RedisProcess.start() : undefined;
const REDIS_URL = process.env.REDIS_URL ?? `redis://${ownRedis!.address}`;
const STUDENTS = Number(process.env.STUDENTS ?? 25_000);
/** Fixed request rate of the latency scenario: what an event's peak needs, well below saturation. */
const RATE = Number(process.env.RATE ?? 3_000);
const { values } = parseArgs({
  options: { duration: { type: 'string', default: '5' }, rounds: { type: 'string', default: '3' } },
});
const duration = Number(values.duration);
const rounds = Number(values.rounds);

const prefix = `bench-qrhttp-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'plexus-bench-qrhttp-'));
const env = {
  REDIS_URL,
  REDIS_KEY_PREFIX: prefix,
  DATABASE_URL: `sqlite:${join(dir, 'qr.db')}`,
  QR_SECRET: 'bench-secret-0123456789abcdef',
};
const ids = Array.from({ length: STUDENTS }, (_, i) => String(100_000 + i));

async function waitForHttp(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`${url}: server exited with ${child.exitCode}`);
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** CPU time (user + system) a process has used, in milliseconds (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

interface Result {
  rps: number;
  /** Server CPU per answered request, in microseconds: not blurred by other processes' load. */
  cpuUs: number;
  p99: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}

async function load(
  base: string,
  pid: number,
  paths: string[],
  connections: number,
  seconds: number,
  rate?: number,
): Promise<Result> {
  // One dynamic request walking the paths round-robin across every connection: a static array
  // would be built once per connection (25,000 x 5,000 buffers) before the first request.
  let next = 0;
  const cpuBefore = cpuMs(pid);
  const result = await autocannon({
    url: base,
    connections,
    duration: seconds,
    pipelining: 1,
    timeout: 10,
    ...(rate === undefined ? {} : { overallRate: rate }),
    requests: [
      { method: 'GET', setupRequest: (request) => ({ ...request, path: paths[next++ % paths.length]! }) },
    ],
  });
  const cpuUs = ((cpuMs(pid) - cpuBefore) * 1000) / Math.max(1, result.requests.total);
  return {
    rps: result.requests.average,
    cpuUs,
    p99: result.latency.p99,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// Roster and warm cache, from this process.
const setup = createPlexus({ apps: [qrApp], env: { ...env, QR_WARM_WORKERS: '0' } });
await setup.start();
await setup.apps.qr.importRoster(
  'student',
  `id,name\n${ids.map((id) => `${id},Student ${id}`).join('\n')}\n`,
);
const warmed = await setup.apps.qr.warmStudentQRCache();
console.log(`${STUDENTS.toLocaleString('en-US')} students warmed at ${Math.round(warmed.rate)}/s`);
await setup.close();

const [barePort, plexusPort] = await Promise.all([freePort(), freePort()]);
const bare = spawn(
  process.execPath,
  ['--import', 'tsx', join(ROOT, 'bench/qr-http-bare.ts'), String(barePort)],
  {
    cwd: ROOT,
    stdio: 'ignore',
  },
);
const server = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    join(ROOT, 'src/main.ts'),
    'start',
    '--host',
    '127.0.0.1',
    '--port',
    String(plexusPort),
  ],
  {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
const targets = [
  {
    name: 'bare Fastify route (baseline)',
    base: `http://127.0.0.1:${barePort}`,
    pid: bare.pid!,
    path: (id: string) => `/bare/${id}.png`,
  },
  {
    name: 'GET /api/1/qr/students/:id.png',
    base: `http://127.0.0.1:${plexusPort}`,
    pid: server.pid!,
    path: (id: string) => `/api/1/qr/students/${id}.png`,
  },
  {
    name: 'GET /api/1/status (same server, no I/O)',
    base: `http://127.0.0.1:${plexusPort}`,
    pid: server.pid!,
    path: (_id: string) => '/api/1/status',
  },
];

try {
  await Promise.all([
    waitForHttp(`${targets[0]!.base}/bare/1.png`, bare),
    waitForHttp(`${targets[1]!.base}/api/1/qr/students/${ids[0]}.png`, server),
  ]);
  const hot = ids.slice(0, 1000);
  // Warm-up: JIT, connections, and the server's in-process tier for the hot set.
  for (const t of targets) await load(t.base, t.pid, hot.map(t.path), 50, 2);

  const scenarios = [
    { name: `100 connections, 1,000 students`, connections: 100, ids: hot, seconds: duration },
    {
      name: `100 connections, ${STUDENTS.toLocaleString('en-US')} students`,
      connections: 100,
      ids,
      seconds: duration,
    },
    {
      name: `100 connections at ${RATE.toLocaleString('en-US')} req/s (not saturated), 1,000 students`,
      connections: 100,
      ids: hot,
      seconds: duration,
      rate: RATE,
    },
    {
      name: `5,000 connections, 1,000 students`,
      connections: 5000,
      ids: hot,
      seconds: Math.max(10, duration),
    },
  ];
  for (const scenario of scenarios) {
    const runs: Result[][] = targets.map(() => []);
    for (let round = 0; round < rounds; round++) {
      for (const [i, t] of targets.entries()) {
        runs[i]!.push(
          await load(
            t.base,
            t.pid,
            scenario.ids.map(t.path),
            scenario.connections,
            scenario.seconds,
            scenario.rate,
          ),
        );
      }
    }
    const baseline = median(runs[0]!.map((r) => r.rps));
    console.log(`\n${scenario.name}: ${rounds} rounds of ${scenario.seconds} s, median of rounds`);
    for (const [i, t] of targets.entries()) {
      const rs = runs[i]!;
      const rps = median(rs.map((r) => r.rps));
      const sum = (k: 'errors' | 'timeouts' | 'non2xx') => rs.reduce((a, r) => a + r[k], 0);
      console.log(
        `  ${t.name.padEnd(40)} ${Math.round(rps).toString().padStart(7)} req/s  ratio ${(rps / baseline).toFixed(2)}  ` +
          `p99 ${median(rs.map((r) => r.p99))} ms  CPU ${median(rs.map((r) => r.cpuUs)).toFixed(1)} us/req  ` +
          `errors ${sum('errors')}  timeouts ${sum('timeouts')}  non-2xx ${sum('non2xx')}`,
      );
    }
  }
} finally {
  await Promise.all([stop(bare), stop(server)]);
  const raw = createClient({ url: REDIS_URL });
  await raw.connect();
  for await (const batch of raw.scanIterator({ MATCH: `${prefix}:*`, COUNT: 1000 }))
    if (batch.length > 0) await raw.unlink(batch);
  await raw.close();
  await ownRedis?.destroy();
  rmSync(dir, { recursive: true, force: true });
}
