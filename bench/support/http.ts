/**
 * What the HTTP benchmarks (bench/server-status.ts, bench/sessions-me.ts) share: free ports,
 * child servers (the bare Fastify baselines, stopped with SIGTERM), waiting for a server to answer,
 * autocannon runs with the server's CPU time per request, rounds that alternate targets so machine
 * noise hits all of them alike, and the median of rounds. `serveBare` is the body of the bare
 * baseline servers (bench/server-bare.ts, bench/sessions-bare.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import autocannon from 'autocannon';
import Fastify from 'fastify';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The command-line options of a load benchmark, for `parseArgs` (strings: read with `loadSettings`). */
export const LOAD_OPTIONS = {
  duration: { type: 'string', default: '5' },
  rounds: { type: 'string', default: '3' },
  connections: { type: 'string', default: '50' },
} as const;

/** Seconds per run, rounds, and autocannon connections from parsed LOAD_OPTIONS. */
export function loadSettings(values: { duration: string; rounds: string; connections: string }): {
  duration: number;
  rounds: number;
  connections: number;
} {
  return {
    duration: Number(values.duration),
    rounds: Number(values.rounds),
    connections: Number(values.connections),
  };
}

/** Linux's USER_HZ, the unit of utime/stime in /proc/<pid>/stat. */
const TICKS_PER_SECOND = 100;

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** Polls `url` (every 100 ms, 30 s at most) until `up` accepts the response; fails if `child` exits. */
export async function waitForHttp(
  url: string,
  child: ChildProcess,
  up: (response: Response) => boolean = (r) => r.ok,
): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${url}: server exited with ${child.exitCode}`);
    const ok = await fetch(url).then(up, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

/** `node --import tsx bench/<script> <port>`: a bare baseline server in its own process. */
export function spawnBare(script: string, port: number): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', script), String(port)], {
    cwd: ROOT,
    stdio: 'ignore',
  });
}

/** Signs in on a Plexus server (as autocannon, the user agent of the load) and returns its `cookie` header. */
export async function signIn(base: string, login: string, password: string): Promise<string> {
  const response = await fetch(`${base}/api/1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'autocannon' },
    body: JSON.stringify({ login, password }),
  });
  if (response.status !== 200) throw new Error(`login failed: ${response.status} ${await response.text()}`);
  return response.headers.getSetCookie()[0]!.split(';')[0]!;
}

/** SIGTERM, then waits for the exit (at once if the child has exited already). */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** A process's children (the workers of `plexus start --workers N`), from /proc; Linux only. */
export function childPids(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return text === '' ? [] : text.split(/\s+/).map(Number);
}

/** CPU time (user + system) a process has used, in microseconds; Linux only, else NaN. */
export function cpuMicros(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

export interface Run {
  rps: number;
  p99: number;
  /** Server CPU per request, in microseconds (NaN without a pid). */
  cpu: number;
}

export interface Target {
  name: string;
  url: string;
  /** The server process, for its CPU time. */
  pid?: number | undefined;
  /** A `cookie` header to send with every request. */
  cookie?: string | undefined;
  runs: Run[];
}

/** One autocannon run of `seconds` against `target`; any non-2xx answer or error fails it. */
export async function load(target: Target, connections: number, seconds: number): Promise<Run> {
  const { url, pid, cookie } = target;
  const headers = cookie === undefined ? {} : { cookie };
  const before = cpuMicros(pid);
  const result = await autocannon({ url, connections, duration: seconds, pipelining: 1, headers });
  const cpu = (cpuMicros(pid) - before) / result.requests.total;
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, p99: result.latency.p99, cpu };
}

/** A 2 s warm-up of each target (JIT, connection pools), then `rounds` rounds alternating targets. */
export async function runRounds(
  targets: Target[],
  options: { connections: number; rounds: number; duration: number },
): Promise<void> {
  for (const target of targets) await load(target, options.connections, 2);
  for (let round = 0; round < options.rounds; round++) {
    for (const target of targets) target.runs.push(await load(target, options.connections, options.duration));
  }
}

export function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** A Fastify server with no logger, schema or plugins answering GET /bare with `body`. */
export async function serveBare(body: unknown, defaultPort: number): Promise<void> {
  const port = Number(process.argv[2] ?? defaultPort);
  const app = Fastify({ logger: false });
  app.get('/bare', async () => body);
  await app.listen({ host: '127.0.0.1', port });
  process.send?.('ready');
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}
