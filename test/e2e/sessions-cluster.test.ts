/**
 * Sessions across processes: two `plexus start` servers (separate processes) on one Redis and one
 * database, an account made with `plexus user add`. A login through one is a login on the other;
 * logout-all through one ends the sessions used on the other.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocatePort, releasePort } from '../support/ports.js';
import { uniquePrefix } from '../support/redis.js';
import { Browser, errorCodeOf, FAST_HASHING, PASSWORD, redisEnv } from '../support/sessions-helpers.js';
import { type CliRun, runCli } from './cli-process.js';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

let dir: string;
let env: Record<string, string>;
const ports: number[] = [];
const servers: CliRun[] = [];
const urls: string[] = [];

/** Runs `plexus user add` with the password on stdin. */
function userAdd(args: string[], password: string): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, 'user', 'add', ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    cwd: dir,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stdin.end(`${password}\n`);
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out })));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'plexus-sessions-'));
  env = {
    ...FAST_HASHING,
    ...redisEnv(uniquePrefix('sess-e2e')),
    DATABASE_URL: `sqlite:${join(dir, 'plexus.db')}`,
    LOG_LEVEL: 'warn',
  };
  const created = await userAdd(['bob@example.com', '--role', 'staff', '--role', 'player'], PASSWORD);
  expect(created.out).toMatch(/^Created bob@example\.com \([0-9a-f-]{36}\) with roles staff, player/);
  expect(created.code).toBe(0);

  for (let i = 0; i < 2; i++) {
    const port = await allocatePort();
    ports.push(port);
    const run = runCli(['start', '--host', '127.0.0.1', '--port', String(port)], {
      cwd: dir,
      env: { ...env, LOG_LEVEL: 'info' },
    });
    servers.push(run);
    urls.push(`http://127.0.0.1:${port}`);
  }
  await Promise.all(servers.map((s) => s.waitFor(/Plexus ready/, 30_000)));
}, 60_000);

afterAll(async () => {
  for (const server of servers) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  for (const port of ports) releasePort(port);
  rmSync(dir, { recursive: true, force: true });
});

describe('sessions shared by separate server processes', () => {
  it('refuses a second account with the same login, whatever its case', async () => {
    const again = await userAdd(['BOB@example.com', '--role', 'admin'], PASSWORD);
    expect(again.code).toBe(1);
    expect(again.out).toMatch(/exists already/);
    const weak = await userAdd(['carol@example.com', '--role', 'staff'], 'short');
    expect(weak.code).toBe(1);
    expect(weak.out).toMatch(/8 to 1024 characters/);
    const badRole = await userAdd(['carol@example.com', '--role', 'wizard'], PASSWORD);
    expect(badRole.out).toMatch(/Unknown role: wizard/);
  });

  it('a login through instance 1 is the same user through instance 2', async () => {
    const [one, two] = urls as [string, string];
    const browser = new Browser(one);
    const login = await browser.login('bob@example.com');
    expect(login.status).toBe(200);
    const viaTwo = await browser.on(two).me();
    expect(viaTwo.status).toBe(200);
    expect(viaTwo.body.user).toEqual(login.body.user);
    expect(viaTwo.body.user).toMatchObject({ login: 'bob@example.com', roles: ['staff', 'player'] });
  });

  it('counts login attempts across instances (LOGIN_LIMIT_PER_ACCOUNT, default 10)', async () => {
    const [one, two] = urls as [string, string];
    for (let i = 0; i < 10; i++) {
      const result = await new Browser(i % 2 === 0 ? one : two).login(
        'mallory@example.com',
        'guess number one',
      );
      expect(result.status).toBe(401);
    }
    for (const url of [one, two]) {
      const limited = await new Browser(url).login('mallory@example.com', 'guess number two');
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  });

  it('logout-all through one instance ends the sessions used on the other', async () => {
    const [one, two] = urls as [string, string];
    const laptop = new Browser(one, 'Laptop/1');
    const phone = new Browser(two, 'Phone/1');
    await laptop.login('bob@example.com');
    await phone.login('bob@example.com');
    expect((await laptop.me()).status).toBe(200);
    expect((await phone.me()).status).toBe(200);
    // Instance 1 answers the laptop from its local copy now: what follows shows that logout-all
    // on instance 2 drops that copy before its answer, not SESSION_LOCAL_CACHE_MS later.
    const hits = async () =>
      ((await laptop.request('GET', '/api/1/health/sessions')).body.localCache as { hits: number }).hits;
    const before = await hits();
    expect((await laptop.me()).status).toBe(200);
    expect(await hits()).toBe(before + 1);

    const listed = await phone.on(one).request('GET', '/api/1/auth/sessions');
    const devices = (listed.body.sessions as { device: string }[]).map((s) => s.device);
    expect(devices).toEqual(expect.arrayContaining(['Laptop/1', 'Phone/1']));

    const out = await phone.request('POST', '/api/1/auth/logout-all');
    expect(out.status).toBe(200);
    expect((out.body as { ended: number }).ended).toBeGreaterThanOrEqual(2);
    for (const [browser, where] of [
      [laptop, one],
      [laptop.on(two), two],
    ] as const) {
      const result = await browser.me();
      expect(result.status, where).toBe(401);
      expect(errorCodeOf(result), where).toBe('SESSION_EXPIRED');
    }
  });
});
