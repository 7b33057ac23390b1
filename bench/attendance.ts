/**
 * Attendance: check-ins and stall scans over HTTP against `plexus start --workers 2` (the built
 * CLI, PostgreSQL, the shared Redis), each as a ratio to the bare Fastify route (bench/server-bare.ts)
 * driven by the same client with the same concurrency in the same run; and the delay of rotation
 * announcements after each window starts, as a display hears them (a WebSocket client in the
 * session's room on the app's realtime endpoint, through the workers).
 *
 *   check-ins   seed 000: 1,600 students of one roll call check in once each (a double tap for one
 *               in ten), the code read from the display status as a projector would; before
 *               them, untimed, 200 other students check in to another roll call (warm workers)
 *   stall scans seed 001: 25,000 students and 200 stalls; random students scanned in or out at
 *               random stalls, one in twenty a retry of an earlier scan id
 *
 * Besides latency and throughput it prints the CPU time the two workers spent per check-in
 * (/proc/<pid>/stat, user + system, over the check-in window) and the bare server's per request:
 * on a loaded machine the wall-clock figures move with the load, the CPU per request much less
 * (not with --profile, whose profiler runs in the workers). It also prints this process's own CPU
 * during the check-ins, to show whether the clients, not the server, were the limit.
 *
 * Usage: npm run build && npx tsx bench/attendance.ts [--scans 10000] [--concurrency 50] [--db postgres|sqlite]
 *          [--profile DIR]  (CPU profiles of the workers during the check-ins, bench/support/profile-window.mjs)
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import WebSocket from 'ws';
import { attendanceApp } from '../src/apps/attendance/app.js';
import type { AttendanceService } from '../src/apps/attendance/service.js';
import { qrApp } from '../src/apps/qr/app.js';
import type { QRService } from '../src/apps/qr/service.js';
import { createPlexus } from '../src/index.js';
import { createRealtimeClient } from '../src/realtime-client/index.js';
import {
  childPids,
  cpuMicros,
  freePort,
  REDIS_URL,
  ROOT,
  spawnBare,
  stop,
  waitForHttp,
} from './support/http.js';

const { values } = parseArgs({
  options: {
    scans: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '50' },
    db: { type: 'string', default: 'postgres' },
    profile: { type: 'string' },
  },
});
const SCANS = Number(values.scans);
const CONCURRENCY = Number(values.concurrency);
const STUDENTS = 25_000;
const ROLL_CALL = 1_600;
/** Check-ins to another roll call before the timed one (warm workers). */
const WARM_UP = 200;
const STALLS = 200;
const PERIOD_MS = 5_000;
const ADMIN = `bench-admin-${randomBytes(8).toString('hex')}`;
const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';

const dir = mkdtempSync(join(tmpdir(), 'plexus-bench-att-'));
const schema = `bench_att_${randomBytes(4).toString('hex')}`;
const env: Record<string, string> = {
  REDIS_URL,
  REDIS_KEY_PREFIX: `bench-att-${randomBytes(4).toString('hex')}`,
  ...(values.db === 'postgres'
    ? { DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema }
    : { DATABASE_URL: `sqlite:${join(dir, 'plexus.db')}` }),
  SESSION_SECRET: randomBytes(24).toString('hex'),
  QR_SECRET: 'bench-qr-secret-0123456789abcdef',
  ATTENDANCE_SECRET: 'bench-attendance-secret-0123456789',
  ATTENDANCE_CODE_PERIOD: String(PERIOD_MS),
  PLEXUS_ADMIN_TOKEN: ADMIN,
  LOG_LEVEL: 'warn',
};

const errorSamples = new Set<string>();

/** Scans of the bench schema's tables so far (PostgreSQL's statistics, flushed within a second). */
async function tableStats(): Promise<{ scans: number; tables: Record<string, number> } | undefined> {
  if (values.db !== 'postgres') return undefined;
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ relname: string; scans: string }>(
      'select relname, coalesce(seq_scan, 0) + coalesce(idx_scan, 0) as scans from pg_stat_user_tables where schemaname = $1',
      [schema],
    );
    const tables = Object.fromEntries(rows.map((r) => [r.relname, Number(r.scans)]));
    return { scans: Object.values(tables).reduce((a, b) => a + b, 0), tables };
  } finally {
    await client.end();
  }
}

/** CPU time (user + system, ms) a process has used so far. */
const cpuMs = (pid: number) => cpuMicros(pid) / 1000;

interface Outcome {
  ms: number;
  status: number;
}

/**
 * One request over a keep-alive connection (node:http; `fetch` cost the clients ~1 ms of CPU per
 * POST on this 2-core machine, CPU the servers measured here then lacked). Same client for the
 * bare baseline, so the ratio compares like with like.
 */
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function timed(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<Outcome> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', headers: init.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status !== 200 && errorSamples.size < 5)
          errorSamples.add(`${status} ${Buffer.concat(chunks).toString().slice(0, 160)}`);
        resolve({ ms: performance.now() - started, status });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

async function drive(
  count: number,
  request: (i: number) => Promise<Outcome>,
): Promise<{ wallMs: number; outcomes: Outcome[] }> {
  const outcomes: Outcome[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) outcomes.push(await request(next++));
    }),
  );
  return { wallMs: performance.now() - started, outcomes };
}

function summary(name: string, run: { wallMs: number; outcomes: Outcome[] }) {
  const sorted = run.outcomes.map((o) => o.ms).sort((a, b) => a - b);
  const p = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const errors = run.outcomes.filter((o) => o.status !== 200).length;
  return {
    name,
    requests: sorted.length,
    wallMs: run.wallMs,
    rps: (sorted.length / run.wallMs) * 1000,
    p50: p(0.5),
    p99: p(0.99),
    errors,
  };
}

function print(rows: ReturnType<typeof summary>[], baseline: ReturnType<typeof summary>): void {
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(34)} ${String(r.requests).padStart(6)} req  ${r.wallMs.toFixed(0).padStart(6)} ms  ` +
        `${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50.toFixed(1).padStart(6)} ms  p99 ${r.p99.toFixed(1).padStart(6)} ms  ` +
        `errors ${r.errors}  ratio ${(r.rps / baseline.rps).toFixed(2)}`,
    );
  }
}

// The set-up process's own Redis calls get a wide timeout: on a loaded machine a session it
// creates must not land in its process-local store (where no worker would find it) for a slow reply.
const setup = createPlexus({
  env: { ...env, REDIS_COMMAND_TIMEOUT_MS: '5000' },
  apps: [qrApp, attendanceApp],
});
let server: ChildProcess | undefined;
let bare: ChildProcess | undefined;
try {
  await setup.start();
  const qr = (setup.apps as { qr: QRService }).qr;
  const attendance = (setup.apps as { attendance: AttendanceService }).attendance;
  const ids = Array.from({ length: STUDENTS }, (_, i) => `u${String(i).padStart(6, '0')}`);
  await qr.importRoster('student', `id,name\n${ids.map((id) => `${id},Student ${id}`).join('\n')}\n`);
  const stalls = Array.from({ length: STALLS }, (_, i) => `stall${i}`);
  await qr.importRoster('stall', `id,name\n${stalls.map((id) => `${id},Stall ${id}`).join('\n')}\n`);
  const cookieOf = async (login: string, roles: string[]) => {
    const record = await setup.sessions.create({ user: { id: login, login, roles }, ttlMs: 3_600_000 });
    return setup.auth.cookie.issue(record.id).split(';')[0]!;
  };
  const students = await Promise.all(ids.slice(0, ROLL_CALL).map((id) => cookieOf(id, ['student'])));
  const volunteer = await cookieOf('volunteer', ['volunteer']);
  const tokens = ids.map((id) => qr.tokens.issue({ type: 'student', id, version: 1 }));
  const course = await attendance.rollCalls.createCourse('Bench 101');

  const port = await freePort();
  const preload =
    values.profile === undefined
      ? {}
      : {
          NODE_OPTIONS: `--import ${join(ROOT, 'bench/support/profile-window.mjs')}`,
          PROFILE_WINDOW_OUT: join(values.profile, 'checkins'),
        };
  server = spawn(
    process.execPath,
    ['--max-semi-space-size=8', join(ROOT, 'bin/plexus.js'), 'start', '--workers', '2'],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        ...env,
        ...preload,
        HOST: '127.0.0.1',
        PORT: String(port),
        PLEXUS_APPS: 'qr,attendance',
      },
      stdio: 'ignore',
    },
  );
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(`${base}/api/1/health`, server, (r) => r.status === 200);
  const barePort = await freePort();
  bare = spawnBare('server-bare.ts', barePort);
  await waitForHttp(`http://127.0.0.1:${barePort}/bare`, bare);

  const bareRun = (count: number) => drive(count, () => timed(`http://127.0.0.1:${barePort}/bare`, {}));
  await bareRun(2_000); // warm-up

  const session = await attendance.rollCalls.openSession({
    courseId: course.id,
    room: 'Hall',
    endsAt: Date.now() + 3_600_000,
  });
  // Announcement delays: rotation messages as a display hears them, through a worker's WebSocket.
  const delays: number[] = [];
  const projector = await cookieOf('projector', ['staff']);
  const display = createRealtimeClient<{ rotation: { window: number } }>({
    url: `ws://127.0.0.1:${port}/api/1/ws/attendance`,
    WebSocket: class extends WebSocket {
      constructor(url: string) {
        super(url, { headers: { cookie: projector } });
      }
    },
  });
  display.onMessage('rotation', (m) => delays.push(Date.now() - m.data.window * PERIOD_MS));
  await display.connect();
  await display.join(`session:${session.id}`);

  /** The code a roll call's display shows now (read again shortly before it changes). */
  const codeReader = (sessionId: string) => {
    let code = '';
    let codeExpires = 0;
    return async () => {
      if (Date.now() < codeExpires - 200) return code;
      const shown = (await (
        await fetch(`${base}/api/1/attendance/sessions/${sessionId}/display`, {
          headers: { authorization: `Bearer ${ADMIN}` },
        })
      ).json()) as {
        code: string;
        codeExpiresAt: number;
      };
      code = shown.code;
      codeExpires = shown.codeExpiresAt;
      return code;
    };
  };
  const currentCode = codeReader(session.id);
  const checkinAs = (cookie: string, device: string, code: string) =>
    timed(`${base}/api/1/attendance/checkins`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: `${cookie}; ${device}` },
      body: JSON.stringify({ code }),
    });
  const newDevice = () => `plexus_device=${randomBytes(16).toString('base64url')}`;

  // Warm-up, outside the timed window: WARM_UP other students check in to another roll call, so
  // that both workers have opened their database connections and compiled the check-in path, as
  // on a server that has been running. Not counted anywhere below.
  const warmSession = await attendance.rollCalls.openSession({
    courseId: course.id,
    room: 'Warm-up',
    endsAt: Date.now() + 3_600_000,
  });
  const warmCode = codeReader(warmSession.id);
  const warmStudents = await Promise.all(
    ids.slice(ROLL_CALL, ROLL_CALL + WARM_UP).map((id) => cookieOf(id, ['student'])),
  );
  const warm = await drive(WARM_UP, async (i) => checkinAs(warmStudents[i]!, newDevice(), await warmCode()));
  const warmFailed = warm.outcomes.filter((o) => o.status !== 200).length;
  if (warmFailed > 0) console.log(`warm-up: ${warmFailed} of ${WARM_UP} check-ins failed`);

  const devices = students.map(newDevice);
  const checkinRequest = async (i: number) =>
    checkinAs(students[i % ROLL_CALL]!, devices[i % ROLL_CALL]!, await currentCode());
  // 1,600 check-ins plus a double tap for one student in ten.
  const checkinCount = ROLL_CALL + ROLL_CALL / 10;
  const workerPids = childPids(server.pid!);
  const profile = values.profile === undefined ? undefined : workerPids;
  for (const pid of profile ?? []) process.kill(pid, 'SIGUSR2');
  const statsBefore = await tableStats();
  await currentCode();
  // The workers' background work (jobs, reports, heartbeats) while no request comes, per second:
  // subtracted below, since a window stretched by the machine's load would charge it to requests.
  const idleFrom = workerPids.reduce((sum, pid) => sum + cpuMs(pid), 0);
  const idleStarted = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const idlePerMs =
    (workerPids.reduce((sum, pid) => sum + cpuMs(pid), 0) - idleFrom) / (performance.now() - idleStarted);
  await currentCode();
  const cpuBefore = workerPids.reduce((sum, pid) => sum + cpuMs(pid), 0);
  const clientBefore = process.cpuUsage();
  const checkins = await drive(checkinCount, (i) => checkinRequest(i < ROLL_CALL ? i : (i - ROLL_CALL) * 10));
  const workerCpu = workerPids.reduce((sum, pid) => sum + cpuMs(pid), 0) - cpuBefore;
  const clientUsage = process.cpuUsage(clientBefore);
  const clientCpu = (clientUsage.user + clientUsage.system) / 1000;
  for (const pid of profile ?? []) process.kill(pid, 'SIGUSR2');
  const statsAfter = await tableStats();
  const bareCpuBefore = cpuMs(bare.pid!);
  const checkinBaseline = await bareRun(checkinCount);
  const bareCpu = cpuMs(bare.pid!) - bareCpuBefore;
  const rows = await attendance.rollCalls.count(session.id);

  const scanIds: string[] = [];
  const tokensIndex = new Map<string, number>();
  const scans = await drive(SCANS, (i) => {
    const retry = i % 20 === 19 && scanIds.length > 0;
    const scanId = retry
      ? scanIds[Math.floor(Math.random() * scanIds.length)]!
      : `scan${i}x${randomBytes(4).toString('hex')}`;
    if (!retry) {
      scanIds.push(scanId);
      tokensIndex.set(scanId, Math.floor(Math.random() * STUDENTS));
    }
    const stall = stalls[Math.floor(Math.random() * STALLS)]!;
    return timed(`${base}/api/1/attendance/stalls/${stall}/scans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: volunteer },
      body: JSON.stringify({ scanId, token: tokens[tokensIndex.get(scanId)!]!, action: 'in' }),
    });
  });
  const scanBaseline = await bareRun(SCANS);

  const cb = summary('bare Fastify route (baseline)', checkinBaseline);
  console.log(
    `\nattendance bench: ${values.db}, plexus start --workers 2, ${CONCURRENCY} concurrent clients`,
  );
  print([summary('check-ins (1,600 + 160 double taps)', checkins), cb], cb);
  console.log(`rows in the roll call: ${rows} (expected ${ROLL_CALL})`);
  const background = idlePerMs * checkins.wallMs;
  console.log(
    `CPU per request: check-ins ${(workerCpu / checkinCount).toFixed(2)} ms (both workers, ${workerCpu} ms in all; ` +
      `${((workerCpu - background) / checkinCount).toFixed(2)} ms without their idle background of ` +
      `${(idlePerMs * 1000).toFixed(0)} ms/s), bare route ${(bareCpu / checkinCount).toFixed(2)} ms (${bareCpu} ms)`,
  );
  // If this is near 100 %, the client (this process) limits the check-ins, not the server.
  console.log(
    `this benchmark process (the clients) during the check-ins: ${clientCpu.toFixed(0)} ms CPU in ${checkins.wallMs.toFixed(0)} ms ` +
      `(${((100 * clientCpu) / checkins.wallMs).toFixed(0)} % of a core)`,
  );
  if (statsBefore !== undefined && statsAfter !== undefined) {
    const scans = statsAfter.scans - statsBefore.scans;
    console.log(
      `database work during the check-ins (PostgreSQL statistics of the schema): ${scans} table and index scans (${(scans / checkinCount).toFixed(2)} per request)`,
    );
    for (const [table, n] of Object.entries(statsAfter.tables)) {
      const delta = n - (statsBefore.tables[table] ?? 0);
      if (delta > 0) console.log(`  ${table}: ${delta}`);
    }
  }
  const sb = summary('bare Fastify route (baseline)', scanBaseline);
  print([summary('stall scans (25,000 students, 200 stalls)', scans), sb], sb);
  for (const sample of errorSamples) console.log(`error: ${sample}`);
  delays.sort((a, b) => a - b);
  if (delays.length > 0) {
    const p = (q: number) => delays[Math.min(delays.length - 1, Math.floor(q * delays.length))]!;
    console.log(
      `rotation announcements: ${delays.length}, delay after the window starts p50 ${p(0.5)} ms, p99 ${p(0.99)} ms, max ${delays.at(-1)} ms`,
    );
  }
  display.close();
} finally {
  agent.destroy();
  if (server !== undefined) await stop(server);
  if (bare !== undefined) await stop(bare);
  await setup.close();
  if (values.db === 'postgres') {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`);
    await client.end();
  }
  rmSync(dir, { recursive: true, force: true });
}
