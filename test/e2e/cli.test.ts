/**
 * `plexus` as users run it: help, the single-process default without Redis, configuration from
 * .env, a config file and flags, and clear refusals (exit code 78) for what cannot work.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allocatePort, releasePort } from '../support/ports.js';
import { type CliRun, getJson, runCli } from './cli-process.js';

let dir: string;
let port: number;
const runs: CliRun[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'plexus-cli-'));
  port = await allocatePort();
});

afterEach(async () => {
  for (const run of runs.splice(0)) {
    if (run.child.exitCode === null && run.child.signalCode === null) {
      run.child.kill('SIGKILL');
      await run.exited;
    }
  }
  releasePort(port);
  rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[], env: Record<string, string> = {}): CliRun {
  const run = runCli(args, { cwd: dir, env: { PLEXUS_DATA_DIR: join(dir, 'data'), ...env } });
  runs.push(run);
  return run;
}

describe('plexus --help', () => {
  it('documents every command and option', async () => {
    const top = cli(['--help']);
    expect((await top.exited).code).toBe(0);
    const help = top.stdout.join('\n');
    expect(help).toMatch(/Usage: plexus/);
    expect(help).toMatch(/start \[options\]/);

    const start = cli(['start', '--help']);
    expect((await start.exited).code).toBe(0);
    const text = start.stdout.join('\n');
    for (const option of ['--host', '--port', '--workers <n|max>', '--config <file>', '--env-file <file>']) {
      expect(text).toContain(option);
    }
  });
});

describe('plexus start', () => {
  it('serves from one process without Redis, says so in one line, and stops cleanly on SIGTERM', async () => {
    const run = cli(['start', '--host', '127.0.0.1', '--port', String(port)]);
    const line = await run.waitFor(/Plexus ready/);
    const ready = JSON.parse(line) as { msg: string };
    expect(ready.msg).toContain('no Redis configured: memory backend');
    expect(ready.msg).toContain(`SQLite ${join(dir, 'data', 'plexus.db')}`);
    expect(run.stdout.filter((l) => l.includes('Redis')).length).toBe(1);

    const status = await getJson(`http://127.0.0.1:${port}/api/status`);
    expect(status.body).toMatchObject({
      status: 'online',
      cluster: { isWorker: false, workerId: 'primary', pid: run.child.pid },
      redis: { connected: false, fallbackMode: true, topology: 'memory' },
    });
    run.child.kill('SIGTERM');
    expect(await run.exited).toEqual({ code: 0, signal: null });
  });

  it('reads .env, a JSON config file and flags, flags winning', async () => {
    writeFileSync(join(dir, '.env'), `PORT=1\nHOST=127.0.0.1\nPLEXUS_ADMIN_TOKEN=from-dotenv-0123456789\n`);
    writeFileSync(
      join(dir, 'plexus.json'),
      JSON.stringify({ server: { adminToken: 'from-config-file-0123456789' } }),
    );
    const run = cli(['start', '--config', 'plexus.json', '--port', String(port)]);
    await run.waitFor(/Plexus ready on http:\/\/127\.0\.0\.1:/);
    const url = `http://127.0.0.1:${port}/api/1/admin/cache/cluster`;
    expect((await getJson(url, { authorization: 'Bearer from-dotenv-0123456789' })).status).toBe(401);
    expect((await getJson(url, { authorization: 'Bearer from-config-file-0123456789' })).status).toBe(200);
    run.child.kill('SIGINT');
    expect((await run.exited).code).toBe(0);
  });

  it('refuses --workers above 1 without Redis, with a clear message', async () => {
    const run = cli(['start', '--port', String(port), '--workers', '2']);
    expect((await run.exited).code).toBe(78);
    const message = run.stderr.join('\n');
    expect(message).toMatch(/--workers: 2 workers need Redis/);
    expect(message).toContain('REDIS_URL');
  });

  it('refuses bad settings naming them, exit code 78', async () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['start', '--port', 'http'], {}, /--port: expected a whole number/],
      [['start'], { PORT: '99999' }, /PORT: must be between 0 and 65535/],
      [['start'], { REDIS_URL: 'http://x' }, /REDIS_URL/],
      [['start', '--config', 'missing.json'], {}, /--config: cannot read missing.json/],
      [['start', '--workers', 'lots'], {}, /--workers/],
    ];
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ servre: { port: 1 } }));
    cases.push([['start', '--config', 'bad.json'], {}, /servre: unknown configuration section/]);
    // In parallel: each run is a Node start-up, seconds on a loaded machine.
    const runs = cases.map(([args, env, pattern]) => ({ args, pattern, run: cli(args, env) }));
    for (const { args, pattern, run } of runs) {
      expect((await run.exited).code, args.join(' ')).toBe(78);
      expect(run.stderr.join('\n')).toMatch(pattern);
    }
  }, 60_000);

  it('refuses to start in production without an admin token', async () => {
    const run = cli(['start', '--port', String(port)], {
      NODE_ENV: 'production',
      REDIS_MODE: 'memory',
      SESSION_SECRET: 'a-session-secret-of-at-least-32-characters',
    });
    expect((await run.exited).code).toBe(78);
    expect(run.stdout.join('\n')).toMatch(/PLEXUS_ADMIN_TOKEN/);
  });

  it('exits 78 when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const run = cli(['start', '--host', '127.0.0.1', '--port', String(port)]);
      expect((await run.exited).code).toBe(78);
      expect(run.stdout.join('\n')).toMatch(/EADDRINUSE/);
    } finally {
      blocker.close();
    }
  });
});
