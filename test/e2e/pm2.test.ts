/**
 * ecosystem.config.cjs under a real PM2 (fetched with `npm exec pm2@latest`, never a dependency):
 * two cluster-mode instances on the machine's Redis both become ready and serve /api/1/status,
 * and `pm2 kill` stops them gracefully.
 *
 * Opt-in, because it needs the npm registry (or PM2 in npm's cache) and takes 15-30 s:
 *
 *   PLEXUS_TEST_PM2=1 npx vitest run test/e2e/pm2.test.ts
 *
 * It runs the built server (bin/plexus.js runs dist/): `npm run build` first after changing src/.
 * PM2's daemon lives in its own PM2_HOME in a temporary folder, so the developer's PM2 (if any) is
 * never touched, and it is stopped with `pm2 kill` in that home (then by the pid it wrote).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocatePort, releasePort } from '../support/ports.js';
import { TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { alive, getJson } from './cli-process.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PM2_PACKAGE = process.env.PLEXUS_TEST_PM2_PACKAGE ?? 'pm2@latest';
const enabled = process.env.PLEXUS_TEST_PM2 === '1';

interface Status {
  cluster: { isWorker: boolean; instanceId: string; pid: number };
  redis: { connected: boolean; topology: string };
}

interface Pm2Process {
  name: string;
  pid: number;
  pm2_env: { status: string; exec_mode: string };
}

let home: string;
let port: number;
let env: Record<string, string>;

/** Runs `pm2 <args>` in the test's PM2_HOME, from the repository (where ecosystem.config.cjs is). */
function pm2(args: string[], timeoutMs = 90_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'npm',
      ['exec', '--yes', '--no-audit', '--no-fund', PM2_PACKAGE, '--', ...args],
      { cwd: ROOT, env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`pm2 ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

async function processes(): Promise<Pm2Process[]> {
  const out = await pm2(['jlist']);
  // jlist prints one JSON array; npm may print notices around it.
  const json = out.slice(out.indexOf('['), out.lastIndexOf(']') + 1);
  return JSON.parse(json) as Pm2Process[];
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, withinMs: number): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe.skipIf(!enabled)('PM2 with ecosystem.config.cjs', () => {
  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist/src/main.js'))) throw new Error('dist/ is missing: run `npm run build`');
    home = mkdtempSync(join(tmpdir(), 'plexus-pm2-'));
    port = await allocatePort();
    // Only what the test sets, plus what node and npm need: never the developer's PORT or REDIS_URL.
    env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PM2_HOME: join(home, 'pm2'),
      HOST: '127.0.0.1',
      PORT: String(port),
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: uniquePrefix('pm2'),
      PLEXUS_DATA_DIR: join(home, 'data'),
      PLEXUS_SHUTDOWN_TIMEOUT_MS: '3s',
    };
    for (const name of ['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']) {
      const value = process.env[name];
      if (value !== undefined) env[name] = value;
    }
  }, 30_000);

  afterAll(async () => {
    if (home === undefined) return;
    const pidFile = join(home, 'pm2', 'pm2.pid');
    const daemon = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : undefined;
    await pm2(['kill']).catch(() => undefined);
    // `pm2 kill` stops the daemon; should it not have, stop it by the pid it wrote, which is ours.
    if (daemon !== undefined && daemon > 0 && alive(daemon)) process.kill(daemon, 'SIGKILL');
    releasePort(port);
    rmSync(home, { recursive: true, force: true });
  }, 60_000);

  it('starts two instances that both serve /api/1/status, and stops them', async () => {
    await pm2(['start', 'ecosystem.config.cjs', '-i', '2'], 120_000);

    const online = await until(
      'two PM2 instances online',
      async () => {
        const list = (await processes()).filter((p) => p.name === 'plexus');
        return list.length === 2 && list.every((p) => p.pm2_env.status === 'online' && p.pid > 0)
          ? list
          : undefined;
      },
      60_000,
    );
    expect(online.map((p) => p.pm2_env.exec_mode)).toEqual(['cluster_mode', 'cluster_mode']);
    const pids = new Set(online.map((p) => p.pid));

    // Fresh connections are spread over the instances by the cluster module: collect both.
    const seen = new Map<number, Status>();
    await until(
      'both instances to answer',
      async () => {
        const { status, body } = await getJson(`http://127.0.0.1:${port}/api/1/status`);
        if (status === 200) seen.set((body as Status).cluster.pid, body as Status);
        return seen.size >= 2 ? true : undefined;
      },
      30_000,
    );
    expect(new Set(seen.keys())).toEqual(pids);
    for (const status of seen.values()) {
      expect(status.redis).toMatchObject({ connected: true, topology: 'single' });
    }
    expect(new Set([...seen.values()].map((s) => s.cluster.instanceId)).size).toBe(2);

    const ready = await getJson(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);

    await pm2(['kill'], 60_000);
    await until('the instances to exit', async () => ([...pids].some(alive) ? undefined : true), 20_000);
    // Each drained (PM2 stops with SIGINT): merge_logs gives one log for both instances.
    const logs = readdirSync(join(home, 'pm2', 'logs'))
      .filter((name) => name.startsWith('plexus-out'))
      .map((name) => readFileSync(join(home, 'pm2', 'logs', name), 'utf8'))
      .join('');
    const drained = logs.split('\n').filter((line) => line.includes('"msg":"shutting down"'));
    expect(drained).toHaveLength(2);
  }, 240_000);
});
