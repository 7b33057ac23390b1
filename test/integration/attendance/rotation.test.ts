/**
 * Rotation announcements across three instances (separate processes) on one Redis and on a Redis
 * Cluster, observed as a display would: a WebSocket client (plexus/realtime-client, given the
 * three instances' URLs) in the session's room on the app's realtime endpoint. With a 1 s code
 * period, every window is received exactly once for DURATION (60 s on one Redis, 20 s on the
 * Cluster), in order; then the instance leading the rotation job is SIGKILLed: another takes over
 * within the lease (shorter than a period), so at most one window goes unannounced, none is
 * announced twice, and the client keeps receiving (it reconnects to another instance and recovers
 * by offset when the killed one was its own).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createRealtimeClient, type RealtimeClient } from '../../../src/realtime-client/index.js';
import { RedisLayer } from '../../../src/redis/layer.js';
import { TOPOLOGIES, type Topology } from '../jobs-processes-suite.js';
import { cookieFrom, type Instance, startInstance } from './processes.js';
import { ADMIN_TOKEN, openRollCall } from './support.js';

const PERIOD_MS = 1_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `ws` with the session cookie on the upgrade request, as a browser on the same site sends it. */
function socketWithCookie(cookie: string) {
  return class extends WebSocket {
    constructor(url: string) {
      super(url, { headers: { cookie } });
    }
  };
}

type Rotation = { rotation: { window: number; code: string; expiresAt: number } };

interface Received {
  window: number;
  offset: number;
}

const DURATION_MS = { single: 60_000, cluster: 20_000 } as const;

for (const topology of [TOPOLOGIES.single, TOPOLOGIES.cluster] as Topology[]) {
  const duration = DURATION_MS[topology.name as keyof typeof DURATION_MS];
  describe(`rotation announcements across three processes on ${topology.name}, seen by a WebSocket client`, () => {
    let deployment: Awaited<ReturnType<Topology['start']>>;
    let layer: RedisLayer;
    let dir: string;
    let instances: Instance[] = [];
    let recordKey: string;
    let client: RealtimeClient<Rotation> | undefined;

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
        SESSION_SECRET: 'rotation-test-session-secret-0123456789',
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
      client?.close();
      for (const i of instances) i.child.kill('SIGKILL');
      await Promise.all(instances.map((i) => i.exited));
      instances = [];
      await layer?.close();
      await deployment?.stop();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    });

    const leaderOf = async (sessionId: string) =>
      (await layer.store.lRange(recordKey, 0, 20))
        .map((r) => JSON.parse(r) as { instance: string; window: number; sessionId: string })
        .filter((r) => r.sessionId === sessionId)
        .sort((x, y) => y.window - x.window)[0]?.instance;

    it(`delivers every window once for ${duration / 1000} s, and at most one is missed when the leader is killed`, async () => {
      const sessionId = await openRollCall(instances[0]!.url);
      const received: Received[] = [];
      const rt = createRealtimeClient<Rotation>({
        url: instances.map((i) => `${i.url.replace('http', 'ws')}/api/1/ws/attendance`),
        WebSocket: socketWithCookie(await cookieFrom(instances[1]!, 'projector', ['staff'])),
        backoff: { initialMs: 100, maxMs: 1_000 },
      });
      client = rt;
      rt.onMessage('rotation', (m) => received.push({ window: m.data.window, offset: m.offset }));
      const resyncs: unknown[] = [];
      rt.on('resync', (event) => resyncs.push(event));
      await rt.connect();
      await rt.join(`session:${sessionId}`);

      await sleep(duration);
      const before = [...received];
      const windows = before.map((r) => r.window);
      expect(new Set(windows).size, 'a window was announced twice').toBe(windows.length);
      // From the first message on, no window is missing (the client joined mid-window).
      for (let i = 1; i < windows.length; i++) expect(windows[i]).toBe(windows[i - 1]! + 1);
      expect(windows.length).toBeGreaterThanOrEqual(duration / PERIOD_MS - 3);
      // Offsets follow each other: the room's stream lost nothing on the way to the client.
      for (let i = 1; i < before.length; i++) expect(before[i]!.offset).toBe(before[i - 1]!.offset + 1);

      const leader = await leaderOf(sessionId);
      const victim = instances.find((i) => i.instanceId === leader)!;
      expect(victim).toBeDefined();
      victim.child.kill('SIGKILL');
      await victim.exited;
      const killedAt = Math.floor(Date.now() / PERIOD_MS);
      // Wait for the condition (a loaded machine may take a while to reconnect), not a fixed time.
      await expect
        .poll(() => received.at(-1)?.window ?? 0, { timeout: 30_000, interval: 200 })
        .toBeGreaterThanOrEqual(killedAt + 5);
      const all = received.map((r) => r.window);
      expect(new Set(all).size, 'a window was announced twice').toBe(all.length);
      let missing = 0;
      for (let i = 1; i < all.length; i++) {
        expect(all[i]!).toBeGreaterThan(all[i - 1]!);
        missing += all[i]! - all[i - 1]! - 1;
      }
      expect(missing, 'windows missed around the takeover').toBeLessThanOrEqual(1);
      expect(resyncs).toEqual([]);
      expect(all.at(-1)).toBeGreaterThanOrEqual(Math.floor(Date.now() / PERIOD_MS) - 1);
    }, 180_000);
  });
}
