/**
 * Rotation announcements across three instances (separate processes) on one Redis and on a Redis
 * Cluster: with a 1 s code period, every window is announced exactly once across the cluster; when
 * the announcing leader is SIGKILLed, another instance takes over within the lease (shorter than
 * a period), so at most one window goes unannounced and none is announced twice.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLayer } from '../../../src/redis/layer.js';
import { TOPOLOGIES, type Topology } from '../jobs-processes-suite.js';
import { ADMIN_TOKEN, openRollCall } from './support.js';

const FIXTURE = fileURLToPath(new URL('./rotation-fixture.ts', import.meta.url));
const PERIOD_MS = 1_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Instance {
  child: ChildProcess;
  url: string;
  instanceId: string;
  exited: Promise<unknown>;
}

function startInstance(env: Record<string, string>): Promise<Instance> {
  const child = fork(FIXTURE, [JSON.stringify(env)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('instance did not start within 90 s')), 90_000);
    child.once('exit', (code) => reject(new Error(`instance exited with ${code}`)));
    child.on('message', (m: { event?: string; url?: string; instanceId?: string }) => {
      if (m.event !== 'ready') return;
      clearTimeout(timer);
      resolve({ child, url: m.url!, instanceId: m.instanceId!, exited });
    });
  });
}

interface Record_ {
  instance: string;
  window: number;
  sessionId: string;
}

for (const topology of [TOPOLOGIES.single, TOPOLOGIES.cluster] as Topology[]) {
  describe(`rotation announcements across three processes on ${topology.name}`, () => {
    let deployment: Awaited<ReturnType<Topology['start']>>;
    let layer: RedisLayer;
    let dir: string;
    let instances: Instance[] = [];
    let recordKey: string;

    beforeAll(async () => {
      deployment = await topology.start();
      layer = new RedisLayer(deployment.config);
      await layer.connect();
      recordKey = layer.keys.key('test', 'announcements');
      dir = mkdtempSync(join(tmpdir(), 'plexus-att-rotation-'));
      const env = {
        ...deployment.env,
        HOST: '127.0.0.1',
        PORT: '0',
        DATABASE_URL: `sqlite:${join(dir, 'plexus.db')}`,
        PLEXUS_ADMIN_TOKEN: ADMIN_TOKEN,
        ATTENDANCE_SECRET: 'rotation-test-secret-0123456789',
        ATTENDANCE_CODE_PERIOD: String(PERIOD_MS),
        JOBS_LEASE_MS: '600',
        LOG_LEVEL: 'warn',
        TEST_ANNOUNCE_KEY: recordKey,
      };
      instances.push(await startInstance(env));
      instances.push(...(await Promise.all([startInstance(env), startInstance(env)])));
    }, 240_000);

    afterAll(async () => {
      for (const i of instances) i.child.kill('SIGKILL');
      await Promise.all(instances.map((i) => i.exited));
      instances = [];
      await layer?.close();
      await deployment?.stop();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    });

    const read = async (sessionId: string) =>
      (await layer.store.lRange(recordKey, 0, -1))
        .map((r) => JSON.parse(r) as Record_)
        .filter((r) => r.sessionId === sessionId)
        .sort((x, y) => x.window - y.window);

    it('announces every window once across the cluster, and at most one is missed when the leader is killed', async () => {
      const sessionId = await openRollCall(instances[0]!.url);
      await sleep(10 * PERIOD_MS);
      const before = await read(sessionId);
      const windows = before.map((r) => r.window);
      expect(new Set(windows).size, 'a window was announced twice').toBe(windows.length);
      // From the first announcement on, no window is missing (the session opened mid-window).
      for (let i = 1; i < windows.length; i++) expect(windows[i]).toBe(windows[i - 1]! + 1);
      expect(windows.length).toBeGreaterThanOrEqual(7);

      const leader = before.at(-1)!.instance;
      const victim = instances.find((i) => i.instanceId === leader)!;
      const killedAtWindow = Math.floor(Date.now() / PERIOD_MS);
      victim.child.kill('SIGKILL');
      await victim.exited;
      await sleep(6 * PERIOD_MS);
      const after = (await read(sessionId)).filter((r) => r.window > before.at(-1)!.window);
      const next = after.map((r) => r.window);
      expect(new Set([...windows, ...next]).size, 'a window was announced twice').toBe(
        windows.length + next.length,
      );
      expect(after.every((r) => r.instance !== leader || r.window <= killedAtWindow)).toBe(true);
      // Every window after the kill was announced, but at most one around the takeover.
      const all = [...windows, ...next];
      let missing = 0;
      for (let i = 1; i < all.length; i++) missing += all[i]! - all[i - 1]! - 1;
      expect(missing).toBeLessThanOrEqual(1);
      expect(all.at(-1)).toBeGreaterThanOrEqual(Math.floor(Date.now() / PERIOD_MS) - 1);
    }, 60_000);
  });
}
