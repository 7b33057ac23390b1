/**
 * What the chaos suite runs against: an embedded database file with the accounts and the QR
 * roster (filled from this process), the built `plexus start --workers N` (bin/plexus.js) on a
 * Redis of the suite's own, and the probe that measures how long the workers take to be back on
 * Redis (`GET /api/1/health` over fresh connections, so each answer may come from either worker).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { qrApp } from '../../src/apps/qr/app.js';
import { createPlexus } from '../../src/index.js';
import { freePort, ROOT } from '../support/http.js';

export const PASSWORD = 'chaos horse battery staple';

/** The settings every process of a deployment shares (Redis settings come from the caller). */
export function baseEnv(
  dir: string,
  redis: Record<string, string>,
  durable: boolean,
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    ...redis,
    DATABASE_URL: `sqlite:${join(dir, 'plexus.db')}`,
    QR_SECRET: 'chaos-secret-0123456789abcdef',
    PASSWORD_SCRYPT_COST: '10',
    PASSWORD_SCRYPT_PARALLELISM: '1',
    LOGIN_LIMIT_PER_IP: '1000000',
    LOGIN_LIMIT_PER_ACCOUNT: '1000000',
    SESSION_DURABLE: durable ? 'true' : 'false',
    SESSION_DURABLE_FLUSH_MS: '200',
    LOG_LEVEL: 'error',
  };
}

/** Accounts user0..user<n-1>@chaos.test and `students` students, warmed. */
export async function seed(env: Record<string, string>, users: number, students: string[]): Promise<void> {
  const plexus = createPlexus({ apps: [qrApp], env: { ...env, QR_WARM_WORKERS: '0' } });
  await plexus.start();
  for (let i = 0; i < users; i++) {
    const login = `user${i}@chaos.test`;
    if ((await plexus.auth.accounts.findByLogin(login)) === null) {
      await plexus.auth.accounts.create({ login, password: PASSWORD, roles: ['player'] });
    }
  }
  await plexus.apps.qr.importRoster(
    'student',
    `id,name\n${students.map((id) => `${id},Student ${id}`).join('\n')}\n`,
  );
  await plexus.apps.qr.warmStudentQRCache();
  await plexus.close();
}

export interface Server {
  port: number;
  child: ChildProcess;
  /** Every log line the primary and its workers wrote (pino JSON), in order. */
  log: string[];
  stop(): Promise<void>;
}

/** `node bin/plexus.js start [--workers N]` (none when 0) on a free port, once it answers. */
export async function startPlexus(env: Record<string, string>, workers: number): Promise<Server> {
  const port = await freePort();
  const flags = workers > 0 ? ['--workers', String(workers)] : [];
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin/plexus.js'), 'start', ...flags, '--host', '127.0.0.1', '--port', String(port)],
    { cwd: ROOT, env: { ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const log: string[] = [];
  let partial = '';
  const collect = (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop() ?? '';
    log.push(...parts);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`plexus exited with ${child.exitCode}`);
    const health = await healthOnce(port).catch(() => null);
    if (health?.status === 'ok') break;
    if (i > 600) throw new Error('plexus did not come up');
    await sleep(100);
  }
  return {
    port,
    child,
    log,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const fresh = new Agent({ keepAlive: false });

/** One GET over a new connection: the status, the body as JSON (or null). */
export function getJson(
  port: number,
  path: string,
  options: { method?: string; cookie?: string; body?: unknown } = {},
): Promise<{ status: number; body: Record<string, unknown> | null; setCookie: string | undefined }> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        agent: fresh,
        headers: {
          ...(options.cookie === undefined ? {} : { cookie: options.cookie }),
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let body: Record<string, unknown> | null = null;
          try {
            body = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
          } catch {
            body = null;
          }
          const cookie = res.headers['set-cookie']?.find((c) => c.startsWith('plexus.sid='));
          resolve({ status: res.statusCode ?? 0, body, setCookie: cookie?.slice(0, cookie.indexOf(';')) });
        });
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(payload);
  });
}

export async function healthOnce(port: number): Promise<{ status: string; instanceId: string } | null> {
  const { body } = await getJson(port, '/api/1/health');
  return body === null ? null : { status: String(body['status']), instanceId: String(body['instanceId']) };
}

/** Signs `login` in; the cookie (`plexus.sid=...`). */
export async function login(port: number, user: string): Promise<string> {
  const result = await getJson(port, '/api/1/auth/login', {
    method: 'POST',
    body: { login: user, password: PASSWORD },
  });
  if (result.status !== 200 || result.setCookie === undefined)
    throw new Error(`login ${user}: ${result.status}`);
  return result.setCookie;
}

/**
 * Each worker's time back to ready after Redis answered again at `since` (Date.now()): from the
 * workers' own log lines ("Redis available", pino's `time`), read from log line `from` on, so
 * that the figure is the worker's, not the time an HTTP probe waits in a busy server's queue.
 * Workers that never left ready count 0.
 */
export async function timeBackToReady(server: Server, from: number, since: number): Promise<number[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const left = new Set<number>();
    const back = new Map<number, number>();
    for (const line of server.log.slice(from)) {
      const entry = parseLine(line);
      if (entry === null) continue;
      if (entry.msg.startsWith('Redis unavailable')) left.add(entry.pid);
      if (entry.msg === 'Redis available' && left.has(entry.pid) && !back.has(entry.pid)) {
        back.set(entry.pid, Math.max(0, entry.time - since));
      }
    }
    if ([...left].every((pid) => back.has(pid))) return [...back.values()];
    if (Date.now() > deadline) throw new Error('workers not back to ready within 30 s');
    await sleep(50);
  }
}

function parseLine(line: string): { msg: string; pid: number; time: number } | null {
  if (!line.startsWith('{')) return null;
  try {
    const entry = JSON.parse(line) as { msg?: unknown; pid?: unknown; time?: unknown };
    const time = typeof entry.time === 'string' ? Date.parse(entry.time) : entry.time;
    if (typeof entry.msg !== 'string' || typeof entry.pid !== 'number' || typeof time !== 'number')
      return null;
    return { msg: entry.msg, pid: entry.pid, time };
  } catch {
    return null;
  }
}
