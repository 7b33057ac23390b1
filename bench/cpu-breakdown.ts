/**
 * Where each microsecond of server CPU per request goes: a bare Fastify route against Plexus's
 * signed-in `GET /api/1/auth/me` and cached QR PNG, from V8 CPU profiles of the load window only.
 *
 * Each server runs in its own process with bench/support/profile-window.mjs preloaded; after a
 * warm-up, SIGUSR2 starts the profiler, autocannon drives one target for `--duration` seconds, and
 * SIGUSR2 writes the profile. Every sample's time goes to the category of its nearest frame that
 * has a source (native frames count for their caller), except the socket-write natives, which are
 * the kernel's share of sending. Divided by the requests of the window: µs of CPU per request,
 * per category. Targets alternate round by round; the table is the median of rounds.
 *
 * The profile's time is wall-clock time between samples: a thread descheduled inside a system call
 * (the server is preempted in `writev` when the response wakes the load generator, which happens
 * more often the busier the machine) counts as time in that call. So the table also gives the
 * server's actual CPU per request over the same window, from /proc/<pid>/stat (every thread), and
 * "socket writes (kernel)" should be read against it. The inspector's own work of stopping the
 * profiler and building its result falls in the window too; it is left out.
 *
 * Usage: npm run build && npx tsx bench/cpu-breakdown.ts [--duration 8] [--rounds 3] [--connections 100] [--keep]
 *   (REDIS_URL, default redis://127.0.0.1:6379)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import {
  freePort,
  LOAD_OPTIONS,
  loadSettings,
  median,
  REDIS_URL,
  ROOT,
  signIn,
  stop,
  waitForHttp,
} from './support/http.js';

const { values } = parseArgs({
  options: {
    ...LOAD_OPTIONS,
    duration: { type: 'string', default: '8' },
    connections: { type: 'string', default: '100' },
    keep: { type: 'boolean', default: false },
  },
});
const { duration, rounds, connections } = loadSettings(values);
const PRELOAD = join(ROOT, 'bench/support/profile-window.mjs');

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The natives that are the kernel's share of sending a response. */
const SOCKET_WRITES = new Set([
  'writev',
  'writeUtf8String',
  'writeLatin1String',
  'writeBuffer',
  'writeAsciiString',
]);

function categoryOf(url: string): string {
  if (url.startsWith('node:')) {
    if (/^node:(_http_|net$|internal\/(streams|stream_base|http))/.test(url))
      return 'node: http, net, streams';
    return 'node: events, ticks, timers, other';
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg !== undefined) {
    if (['fastify', 'find-my-way', 'avvio', 'light-my-request', 'fastify-plugin'].includes(pkg))
      return 'fastify';
    if (pkg === 'fast-json-stringify') return 'fast-json-stringify (serialisation)';
    return `package ${pkg}`;
  }
  const own = /\/(?:dist\/)?src\/((?:apps\/)?[^/]+)\//.exec(url)?.[1];
  if (own !== undefined) return `plexus ${own}`;
  if (url.includes('/bench/')) return 'bench server (route)';
  return 'other';
}

/** CPU µs per category over a profile (idle time excluded). */
function categorise(profile: Profile): Map<string, number> {
  const parent = new Map<number, ProfileNode>();
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node);
  }
  const category = new Map<number, string>();
  const nodeCategory = (node: ProfileNode): string => {
    const known = category.get(node.id);
    if (known !== undefined) return known;
    const { functionName, url } = node.callFrame;
    let result: string;
    // The profiler stopping itself (node:inspector) is not the server's work: left out like idle.
    if (functionName === '(idle)' || url === 'node:inspector') result = 'idle';
    else if (functionName === '(garbage collector)') result = 'garbage collector';
    else if (functionName === '(program)') result = 'V8 and natives outside JS';
    else if (url === '' && SOCKET_WRITES.has(functionName)) result = 'socket writes (kernel)';
    else if (url !== '') result = categoryOf(url);
    else {
      const up = parent.get(node.id);
      result = up === undefined ? 'other' : nodeCategory(up);
    }
    category.set(node.id, result);
    return result;
  };
  const totals = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!)!;
    const name = nodeCategory(node);
    if (name === 'idle') continue;
    totals.set(name, (totals.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  return totals;
}

/** A profiled server process: its profiles are numbered in the order they were taken. */
interface Server {
  child: ChildProcess;
  profileBase: string;
  profiles: number;
}

interface Target {
  name: string;
  url: string;
  server: Server;
  cookie?: string;
  /** Per round: µs per request by category. */
  rounds: Map<string, number>[];
  rps: number[];
  /** Per round: the server's CPU per request (µs) from /proc, profiler running. */
  cpu: number[];
}

async function profiled(target: Target, seconds: number): Promise<void> {
  const headers = target.cookie === undefined ? {} : { cookie: target.cookie };
  const { server } = target;
  const file = `${server.profileBase}.${server.profiles++}.cpuprofile`;
  server.child.kill('SIGUSR2');
  await new Promise((r) => setTimeout(r, 100));
  const cpuBefore = cpuMicros(server.child.pid!);
  const result = await autocannon({ url: target.url, connections, duration: seconds, headers });
  server.child.kill('SIGUSR2');
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${target.url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  for (let i = 0; i < 100 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 100));
  const totals = categorise(JSON.parse(readFileSync(file, 'utf8')) as Profile);
  const perRequest = new Map<string, number>();
  for (const [name, micros] of totals) perRequest.set(name, micros / result.requests.total);
  target.rounds.push(perRequest);
  target.rps.push(result.requests.average);
  target.cpu.push((cpuMicros(server.child.pid!) - cpuBefore) / result.requests.total);
}

/** User + system CPU time of a process (all its threads) so far, in µs. */
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

const work = mkdtempSync(join(tmpdir(), 'plexus-cpu-'));
const spawnProfiled = (name: string, args: string[], env: Record<string, string> = {}): Server => ({
  child: spawn(process.execPath, ['--max-semi-space-size=8', '--import', PRELOAD, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env, PROFILE_WINDOW_OUT: join(work, name) },
    stdio: 'ignore',
  }),
  profileBase: join(work, name),
  profiles: 0,
});

const [barePort, plexusPort] = await Promise.all([freePort(), freePort()]);
const plexusEnv = {
  DATABASE_URL: `sqlite:${join(work, 'plexus.db')}`,
  REDIS_URL,
  REDIS_KEY_PREFIX: `cpu-${process.pid}`,
  REDIS_COMMAND_TIMEOUT_MS: '2000',
  LOG_LEVEL: 'warn',
  HOST: '127.0.0.1',
  PORT: String(plexusPort),
};
/** `plexus <args>` on the benchmark's database, with `input` on stdin; resolves when it exits. */
const cli = (args: string[], input = ''): Promise<unknown> => {
  const child = spawn(process.execPath, [join(ROOT, 'bin/plexus.js'), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...plexusEnv },
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  child.stdin.end(input);
  return new Promise((r) => child.once('exit', r));
};
writeFileSync(join(work, 'students.csv'), 'id,name\n1,Student One\n');
await cli(['user', 'add', 'cpu@example.com', '--role', 'staff'], 'a benchmark password\n');
await cli(['import', 'students', join(work, 'students.csv')]);

const bare = spawnProfiled('bare', [
  '--import',
  'tsx',
  join(ROOT, 'bench/server-hello.ts'),
  String(barePort),
]);
const plexus = spawnProfiled('plexus', [join(ROOT, 'bin/plexus.js'), 'start'], plexusEnv);
try {
  const up = (r: Response) => r.status < 500;
  await Promise.all([
    waitForHttp(`http://127.0.0.1:${barePort}/bare`, bare.child, up),
    waitForHttp(`http://127.0.0.1:${plexusPort}/api/1/status`, plexus.child, up),
  ]);
  const cookie = await signIn(`http://127.0.0.1:${plexusPort}`, 'cpu@example.com', 'a benchmark password');
  const targets: Target[] = [
    {
      name: 'bare Fastify',
      url: `http://127.0.0.1:${barePort}/bare`,
      server: bare,
      rounds: [],
      rps: [],
      cpu: [],
    },
    {
      name: '/auth/me',
      url: `http://127.0.0.1:${plexusPort}/api/1/auth/me`,
      server: plexus,
      cookie,
      rounds: [],
      rps: [],
      cpu: [],
    },
    {
      name: 'QR PNG',
      url: `http://127.0.0.1:${plexusPort}/api/1/qr/students/1.png`,
      server: plexus,
      rounds: [],
      rps: [],
      cpu: [],
    },
  ];
  // Warm-up without the profiler (JIT, local copies, the cached image).
  for (const target of targets) {
    const headers = target.cookie === undefined ? {} : { cookie: target.cookie };
    await autocannon({ url: target.url, connections, duration: 3, headers });
  }
  for (let round = 0; round < rounds; round++) {
    for (const target of targets) await profiled(target, duration);
  }
  const names = new Set<string>();
  for (const target of targets)
    for (const round of target.rounds) for (const name of round.keys()) names.add(name);
  const cell = (target: Target, name: string) => median(target.rounds.map((r) => r.get(name) ?? 0));
  const total = (target: Target) =>
    median(target.rounds.map((r) => [...r.values()].reduce((a, b) => a + b, 0)));
  const rows = [...names].sort((a, b) => cell(targets[1]!, b) - cell(targets[1]!, a));
  console.log(
    `server CPU per request (µs), median of ${rounds} profiled rounds of ${duration} s, ${connections} connections`,
  );
  console.log(`| category | ${targets.map((t) => t.name).join(' | ')} |`);
  console.log(`| --- | ${targets.map(() => '---:').join(' | ')} |`);
  for (const name of rows) {
    console.log(`| ${name} | ${targets.map((t) => cell(t, name).toFixed(2)).join(' | ')} |`);
  }
  console.log(`| **total** | ${targets.map((t) => `**${total(t).toFixed(1)}**`).join(' | ')} |`);
  console.log(
    `| server CPU from /proc (µs/req, median) | ${targets.map((t) => median(t.cpu).toFixed(1)).join(' | ')} |`,
  );
  console.log(
    `| req/s (median, profiler on) | ${targets.map((t) => Math.round(median(t.rps))).join(' | ')} |`,
  );
} finally {
  await Promise.all([stop(bare.child), stop(plexus.child)]);
  if (values.keep) console.log(`profiles kept in ${work} (open them in Chrome DevTools or speedscope)`);
  else rmSync(work, { recursive: true, force: true });
}
