/**
 * The multi-process jobs suite, run by jobs-processes.test.ts (single Redis) and
 * jobs-processes-cluster.test.ts (Redis Cluster), one file each to keep each file short.
 *
 * Run-once-per-cluster across real processes: three instances (separate Node processes) schedule
 * the same 200 ms job every 500 ms on one Redis, and on a Redis Cluster. Every run records its
 * start and end with its tick and fencing token in Redis. Over 10 s each tick must run exactly
 * once and no two runs may overlap; then the leader is SIGKILLed and another instance must take
 * over within the lease, still without running any tick twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisConfig } from '../../src/config/redis.js';
import { RedisLayer } from '../../src/redis/layer.js';
import {
  type RedisClusterHandle,
  type RedisSingleHandle,
  startCluster,
  startSingle,
} from '../support/topology.js';
import { type InstanceProcess, startInstances } from './instances-processes.js';

const INTERVAL_MS = 500;
const WORK_MS = 200;
const LEASE_MS = 2000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface RunRecord {
  phase: 'start' | 'end';
  tick: number;
  fence: number;
  local: boolean;
  instance: string;
  at: number;
}

interface Run {
  tick: number;
  fence: number;
  instance: string;
  start: number;
  end: number | undefined;
}

function runsOf(records: RunRecord[]): Run[] {
  const runs = new Map<number, Run>();
  for (const r of records.filter((r) => r.phase === 'start')) {
    expect(runs.has(r.tick), `tick ${r.tick} started twice`).toBe(false);
    runs.set(r.tick, { tick: r.tick, fence: r.fence, instance: r.instance, start: r.at, end: undefined });
  }
  for (const r of records.filter((r) => r.phase === 'end')) {
    const run = runs.get(r.tick)!;
    expect(run.fence).toBe(r.fence);
    run.end = r.at;
  }
  return [...runs.values()].sort((a, b) => a.tick - b.tick);
}

function checkSequence(runs: Run[], killedAt?: { instance: string; at: number }): void {
  for (let i = 1; i < runs.length; i++) {
    const previous = runs[i - 1]!;
    const run = runs[i]!;
    expect(run.fence).toBeGreaterThan(previous.fence);
    // A run cut short by the SIGKILL ended, at the latest, when the process died.
    const previousEnd = previous.end ?? (previous.instance === killedAt?.instance ? killedAt.at : undefined);
    expect(previousEnd, `run of tick ${previous.tick} never ended`).toBeDefined();
    expect(run.start, `tick ${run.tick} overlapped tick ${previous.tick}`).toBeGreaterThanOrEqual(
      previousEnd!,
    );
  }
}

export type Topology = {
  name: string;
  start(): Promise<{ env: Record<string, string>; config: RedisConfig; stop(): Promise<void> }>;
};

export const TOPOLOGIES: Record<'single' | 'cluster', Topology> = {
  single: {
    name: 'single',
    async start() {
      const redis: RedisSingleHandle = await startSingle();
      const config = redis.config();
      return {
        config,
        env: { REDIS_MODE: 'single', REDIS_URL: redis.url, REDIS_KEY_PREFIX: config.keyPrefix },
        stop: () => redis.stop(),
      };
    },
  },
  cluster: {
    name: 'cluster',
    async start() {
      const cluster: RedisClusterHandle = await startCluster();
      const config = cluster.config();
      return {
        config,
        env: {
          REDIS_MODE: 'cluster',
          REDIS_CLUSTER_NODES: cluster.seeds,
          REDIS_KEY_PREFIX: config.keyPrefix,
        },
        stop: () => cluster.stop(),
      };
    },
  },
};

export function jobsAcrossProcesses(topology: Topology): void {
  describe(`jobs across three processes on ${topology.name}`, () => {
    let deployment: Awaited<ReturnType<Topology['start']>>;
    let layer: RedisLayer;
    let instances: InstanceProcess[] = [];

    beforeAll(async () => {
      deployment = await topology.start();
      layer = new RedisLayer(deployment.config);
      await layer.connect();
      instances = await startInstances(3, { ...deployment.env, JOBS_LEASE_MS: String(LEASE_MS) });
    }, 120_000);

    afterAll(async () => {
      await Promise.all(instances.map((i) => i.kill()));
      await layer?.close();
      await deployment?.stop();
    });

    it('runs every tick once, never overlapping; a SIGKILLed leader is replaced within the lease', async () => {
      const recordKey = layer.keys.key('test', 'job-runs');
      const read = async () =>
        runsOf((await layer.store.lRange(recordKey, 0, -1)).map((r) => JSON.parse(r) as RunRecord));
      await Promise.all(
        instances.map((i) =>
          i.call('job', { name: 'every-500ms', intervalMs: INTERVAL_MS, workMs: WORK_MS, recordKey }),
        ),
      );

      await sleep(10_000);
      const steady = await read();
      checkSequence(steady);
      // 20 ticks in 10 s; the first may pass during the first election, and a loaded machine may
      // delay a claim past a tick (skipped, never run late or twice).
      expect(steady.length).toBeGreaterThanOrEqual(17);
      const span = (steady.at(-1)!.tick - steady[0]!.tick) / INTERVAL_MS + 1;
      expect(span - steady.length, 'ticks missed in steady state').toBeLessThanOrEqual(2);
      // A run lasts its work (a timer may fire up to 1 ms early by Date.now()'s reckoning).
      expect(steady.every((r) => r.end === undefined || r.end - r.start >= WORK_MS - 1)).toBe(true);

      const leaderId = steady.at(-1)!.instance;
      const leader = instances.find((i) => i.instanceId === leaderId)!;
      await leader.kill();
      const killedAt = { instance: leaderId, at: Date.now() };

      const deadline = Date.now() + LEASE_MS + 5000;
      let takeover: Run | undefined;
      while (takeover === undefined && Date.now() < deadline) {
        await sleep(100);
        takeover = (await read()).find((r) => r.start > killedAt.at && r.instance !== leaderId);
      }
      expect(takeover, 'no instance took over').toBeDefined();
      // The lease lapses at most LEASE_MS after the kill; the next tick comes within one interval.
      expect(takeover!.start - killedAt.at).toBeLessThanOrEqual(LEASE_MS + INTERVAL_MS + 750);
      await sleep(2 * INTERVAL_MS);
      const after = await read();
      checkSequence(after, killedAt);
      expect(after.filter((r) => r.start > killedAt.at).every((r) => r.instance !== leaderId)).toBe(true);
      expect(after.every((r) => r.fence > 0)).toBe(true);
    }, 45_000);
  });
}
