/**
 * The scheduler conformance suite: three schedulers (three "instances") on the memory
 * implementation, a single Redis and a Redis Cluster. Every run is recorded with its tick, fencing
 * token, instance and timing, and checked: each tick at most once, fences increasing with ticks,
 * no two runs overlapping.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JOB_IDLE, type JobContext, Jobs, type JobsOptions } from '../../src/jobs/index.js';
import { JobLedger } from '../../src/jobs/ledger.js';
import { BACKENDS, eventually, type Instances, type ManualLayer } from '../support/bus-backends.js';
import { LoopStalls } from '../support/stalls.js';

interface Run {
  instance: string;
  tick: number;
  fence: number;
  start: number;
  end: number;
  local: boolean;
}

const LEASE_MS = 600;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function checkRuns(runs: Run[]): void {
  const ticks = runs.map((r) => r.tick);
  expect(new Set(ticks).size).toBe(ticks.length);
  const byTick = [...runs].sort((a, b) => a.tick - b.tick);
  for (let i = 1; i < byTick.length; i++) {
    expect(byTick[i]!.fence).toBeGreaterThan(byTick[i - 1]!.fence);
    // The next run starts only after the previous one ended, wherever it ran.
    expect(byTick[i]!.start).toBeGreaterThanOrEqual(byTick[i - 1]!.end);
  }
}

describe.each(BACKENDS)('jobs on $name', (backend) => {
  let instances: Instances;
  let schedulers: Jobs[] = [];

  beforeAll(() => backend.setup(), 60_000);
  afterAll(() => backend.teardown());

  afterEach(async () => {
    await Promise.all(schedulers.map((s) => s.stop()));
    schedulers = [];
    await instances.close();
  });

  async function start(count: number, options: Partial<JobsOptions> = {}): Promise<Jobs[]> {
    instances = await backend.instances(count);
    schedulers = instances.layers.map(
      (layer, i) =>
        new Jobs(layer, {
          instanceId: `i${i}`,
          leaseMs: LEASE_MS,
          enabled: true,
          stopTimeoutMs: 2000,
          ...options,
        }),
    );
    return schedulers;
  }

  function recorder(runs: Run[], instance: string, workMs: number) {
    return async (ctx: JobContext) => {
      const start = Date.now();
      await sleep(workMs);
      runs.push({
        instance,
        tick: ctx.tick.getTime(),
        fence: ctx.fencingToken,
        start,
        end: Date.now(),
        local: ctx.local,
      });
    };
  }

  it('runs each tick on exactly one instance, fences increasing, never overlapping', async () => {
    const jobs = await start(3);
    const runs: Run[] = [];
    const stalls = new LoopStalls();
    jobs.forEach((j, i) => {
      j.every('tick', 100, recorder(runs, `i${i}`, 30));
      j.start();
    });
    await eventually(() => runs.length >= 12, 10_000);
    stalls.stop();
    checkRuns(runs);
    // Most ticks ran. The others are accounted for: skipped because the previous tick was still
    // claiming or running (a slow store), or never fired because this process was not running
    // when they were due (a loaded machine: the scheduler arms the next tick from now).
    const ticks = runs.map((r) => r.tick).sort((a, b) => a - b);
    let skipped = 0;
    for (const j of jobs) {
      const here = (await j.list())[0]!.here;
      skipped += here.skippedOverlap + here.skippedNoRedis;
    }
    const due = (ticks.at(-1)! - ticks[0]!) / 100 + 1;
    expect(ticks.length + skipped + stalls.totalMs() / 100).toBeGreaterThanOrEqual(due * 0.6);
    const listing = await jobs[1]!.list();
    expect(listing).toHaveLength(1);
    expect(listing[0]).toMatchObject({
      name: 'tick',
      source: 'cluster',
      schedule: 'every 100ms',
      whenRedisDown: 'skip',
    });
    expect(['i0', 'i1', 'i2']).toContain(listing[0]!.leader);
    expect(listing[0]!.runs).toBeGreaterThanOrEqual(12);
    expect(listing[0]!.lastRun).toMatchObject({ instance: listing[0]!.leader });
  });

  it('skips ticks that come while the previous one still runs', async () => {
    const jobs = await start(3);
    const runs: Run[] = [];
    jobs.forEach((j, i) => {
      j.every('slow', 100, recorder(runs, `i${i}`, 250));
      j.start();
    });
    await eventually(() => runs.length >= 4, 10_000);
    checkRuns(runs);
    const skipped = (await jobs[0]!.list())[0]!;
    const leader = jobs.find((j) => j.instanceId === skipped.leader)!;
    expect((await leader.list())[0]!.here.skippedOverlap).toBeGreaterThanOrEqual(4);
  });

  it('hands leadership over when the leader stops, without running a tick twice', async () => {
    const jobs = await start(3);
    const runs: Run[] = [];
    jobs.forEach((j, i) => {
      j.every('handover', 100, recorder(runs, `i${i}`, 20));
      j.start();
    });
    await eventually(() => runs.length >= 3, 10_000);
    const first = runs[0]!.instance;
    const leader = jobs.find((j) => j.instanceId === first)!;
    await leader.stop();
    const stoppedAt = Date.now();
    await eventually(() => runs.some((r) => r.instance !== first && r.start > stoppedAt), 5000);
    // Released on stop: a follower takes over within a third of the lease (its retry period).
    const takeover = runs.find((r) => r.instance !== first && r.start > stoppedAt)!;
    expect(takeover.start - stoppedAt).toBeLessThan(LEASE_MS + 300);
    checkRuns(runs);
  });

  it('backs off after a run that found nothing to do, and wakes on wake()', async () => {
    const [a] = await start(1);
    const ticks: number[] = [];
    let busy = false;
    const job = a!.every(
      'idle',
      20,
      (ctx) => {
        ticks.push(ctx.tick.getTime());
        return busy ? ticks.length : JOB_IDLE;
      },
      { idleEvery: '400ms' },
    );
    a!.start();
    await eventually(() => ticks.length >= 3, 10_000);
    // Idle: each run is at least idleEvery after the last, by the ticks' own times.
    for (let i = 1; i < ticks.length; i++) expect(ticks[i]! - ticks[i - 1]!).toBeGreaterThanOrEqual(400);
    let [status] = await a!.list();
    expect(status!.here.idle).toBe(true);
    // The timer is armed for the back-off's end, not for the ticks in between.
    await eventually(async () => ((await a!.list())[0]!.nextRunAt ?? 0) >= ticks.at(-1)! + 400, 5000);
    // Woken with work to do: the next tick runs, and the job keeps its own rate while runs do work.
    const woken = ticks.length;
    busy = true;
    const wokeAt = Date.now();
    job.wake();
    await eventually(() => ticks.length >= woken + 1, 10_000);
    expect(ticks[woken]! - wokeAt).toBeLessThan(400);
    await eventually(() => ticks.length >= woken + 6, 10_000);
    [status] = await a!.list();
    expect(status!.here.idle).toBe(false);
  });

  it('a wake during a run keeps that run from starting a back-off', async () => {
    const [a] = await start(1);
    const ticks: number[] = [];
    let hold: ((value: typeof JOB_IDLE) => void) | undefined;
    const job = a!.every(
      'idle-race',
      20,
      (ctx) => {
        ticks.push(ctx.tick.getTime());
        // The second run is held open until the test has woken the job.
        if (ticks.length === 2) return new Promise<typeof JOB_IDLE>((resolve) => (hold = resolve));
        return JOB_IDLE;
      },
      { idleEvery: '2s' },
    );
    a!.start();
    // The first run goes idle; a wake ends it, so the second run comes before the back-off ends.
    await eventually(() => ticks.length >= 1, 10_000);
    job.wake();
    await eventually(() => hold !== undefined, 10_000);
    job.wake();
    hold!(JOB_IDLE);
    await eventually(() => ticks.length >= 3, 10_000);
    expect(ticks[1]! - ticks[0]!).toBeLessThan(2000);
    expect(ticks[2]! - ticks[1]!).toBeLessThan(2000);
  });

  it('records failures and the last run in the ledger', async () => {
    const [a] = await start(1);
    let n = 0;
    a!.every(
      'flaky',
      50,
      () => {
        n++;
        if (n % 2 === 1) throw new Error(`failure ${n}`);
      },
      { description: 'fails every other run' },
    );
    a!.start();
    await eventually(async () => ((await a!.list())[0]?.runs ?? 0) >= 4, 5000);
    const [status] = await a!.list();
    expect(status!.failures).toBeGreaterThanOrEqual(2);
    expect(status!.description).toBe('fails every other run');
    expect(status!.here.failures).toBeGreaterThanOrEqual(2);
    expect(status!.lastRun!.instance).toBe('i0');
    if (status!.lastRun!.status === 'failed') expect(status!.lastRun!.error).toMatch(/^failure \d+$/);
  });

  it('never leads on an instance with jobs disabled', async () => {
    const jobs = await start(2);
    const off = new Jobs(instances.layers[1]!, {
      instanceId: 'off',
      leaseMs: LEASE_MS,
      enabled: false,
      stopTimeoutMs: 1000,
    });
    schedulers.push(off);
    const runs: Run[] = [];
    off.every('only-a', 50, recorder(runs, 'off', 1));
    off.start();
    jobs[0]!.every('only-a', 50, recorder(runs, 'i0', 1));
    jobs[0]!.start();
    await eventually(() => runs.length >= 3, 5000);
    await jobs[0]!.stop();
    const count = runs.length;
    await sleep(LEASE_MS * 2);
    expect(runs.length).toBeLessThanOrEqual(count + 1);
    expect(runs.every((r) => r.instance === 'i0')).toBe(true);
  });

  it('runs cron expressions once per scheduled second', async () => {
    const jobs = await start(3);
    const runs: Run[] = [];
    jobs.forEach((j, i) => {
      j.cron('every-second', '* * * * * *', recorder(runs, `i${i}`, 5));
      j.start();
    });
    await eventually(() => runs.length >= 2, 5000);
    checkRuns(runs);
    for (const r of runs) expect(r.tick % 1000).toBe(0);
    expect((await jobs[0]!.list())[0]!.schedule).toBe('cron * * * * * *');
  });

  it('ledger: claims each tick once, only for the holder; a stale finish does not overwrite', async () => {
    await start(1);
    const layer = instances.layers[0]!;
    const ledger = new JobLedger(layer.store, layer.keys);
    const a = await ledger.acquire('j', 'A#1', 5000);
    expect(a).toEqual({ acquired: true, holder: 'A#1', ttlMs: 5000 });
    const b = await ledger.acquire('j', 'B#1', 5000);
    expect(b.acquired).toBe(false);
    expect(b.holder).toBe('A#1');
    expect(b.ttlMs).toBeGreaterThan(4000);

    expect(await ledger.claim('j', 'B#1', 1000, 5000, 'B', 1)).toEqual({
      claimed: false,
      reason: 'not-leader',
    });
    expect(await ledger.claim('j', 'A#1', 1000, 5000, 'A', 1)).toEqual({ claimed: true, fence: 1 });
    expect(await ledger.claim('j', 'A#1', 1000, 5000, 'A', 1)).toEqual({
      claimed: false,
      reason: 'already-run',
    });
    expect(await ledger.claim('j', 'A#1', 900, 5000, 'A', 1)).toEqual({
      claimed: false,
      reason: 'already-run',
    });

    // A takes tick 2000 (fence 2) while the run of fence 1 is still going; fence 1 finishes late.
    expect(await ledger.claim('j', 'A#1', 2000, 5000, 'A', 2)).toEqual({ claimed: true, fence: 2 });
    expect(
      await ledger.finish('j', { fence: 1, ok: false, finishedAt: 3, durationMs: 2, error: 'late' }),
    ).toBe(false);
    expect(await ledger.finish('j', { fence: 2, ok: true, finishedAt: 4, durationMs: 2, error: '' })).toBe(
      true,
    );

    expect(await ledger.renew('j', 'B#1', 5000)).toBe(false);
    expect(await ledger.renew('j', 'A#1', 5000)).toBe(true);
    expect(await ledger.release('j', 'B#1')).toBe(false);
    const record = await ledger.record('j');
    expect(record).toEqual({
      name: 'j',
      leader: 'A',
      lastRun: {
        tick: 2000,
        fence: 2,
        instance: 'A',
        startedAt: 2,
        status: 'ok',
        finishedAt: 4,
        durationMs: 2,
        error: null,
      },
      runs: 2,
      failures: 1,
      consecutiveFailures: 0,
    });
    expect(await ledger.release('j', 'A#1')).toBe(true);
    expect((await ledger.record('j')).leader).toBeNull();
    // The fencing counter survives the lease: a new leader continues from 3.
    await ledger.acquire('j', 'B#1', 5000);
    expect(await ledger.claim('j', 'B#1', 3000, 5000, 'B', 5)).toEqual({ claimed: true, fence: 3 });
  });

  it('validates names, schedules and duplicates', async () => {
    const [a] = await start(1);
    const fn = () => {};
    expect(() => a!.every('', 100, fn)).toThrow(expect.objectContaining({ code: 'JOBS_INVALID_NAME' }));
    expect(() => a!.every('a b', 100, fn)).toThrow(expect.objectContaining({ code: 'JOBS_INVALID_NAME' }));
    expect(() => a!.every('x', 5, fn)).toThrow(expect.objectContaining({ code: 'JOBS_INVALID_SCHEDULE' }));
    expect(() => a!.every('x', '5 parsecs', fn)).toThrow(
      expect.objectContaining({ code: 'JOBS_INVALID_SCHEDULE' }),
    );
    expect(() => a!.every('x', 1.5, fn)).toThrow(expect.objectContaining({ code: 'JOBS_INVALID_SCHEDULE' }));
    expect(() => a!.every('x', 100, fn, { idleEvery: '1 fortnight' })).toThrow(
      expect.objectContaining({ code: 'JOBS_INVALID_SCHEDULE' }),
    );
    expect(() => a!.cron('x', '61 * * * *', fn)).toThrow(
      expect.objectContaining({ code: 'JOBS_INVALID_SCHEDULE' }),
    );
    expect(() => a!.cron('x', '* * * * *', fn, { timezone: 'Nowhere/Land' })).toThrow(
      expect.objectContaining({ code: 'JOBS_INVALID_SCHEDULE' }),
    );
    const handle = a!.every('x', '1.5s', fn);
    expect(() => a!.every('x', '2s', fn)).toThrow(expect.objectContaining({ code: 'JOBS_DUPLICATE' }));
    expect((await a!.list())[0]!.schedule).toBe('every 1.5s');
    // Cancelled here, still known to the cluster: listed without a local schedule, and free to redeclare.
    a!.start();
    await handle.cancel();
    await eventually(async () => (await a!.list())[0]?.source === 'cluster');
    expect((await a!.list())[0]).toMatchObject({ name: 'x', schedule: null, here: { scheduled: false } });
    a!.every('x', '2s', fn);
  });

  it.runIf(backend.name === 'memory')(
    'without Redis: skips coordinated jobs, runs opted-in ones on every instance, and steps down',
    async () => {
      const jobs = await start(3);
      const coordinated: Run[] = [];
      const local: Run[] = [];
      jobs.forEach((j, i) => {
        j.every('coordinated', 50, recorder(coordinated, `i${i}`, 1));
        j.every('local', 50, recorder(local, `i${i}`, 1), { whenRedisDown: 'run-locally' });
        j.start();
      });
      await eventually(() => coordinated.length >= 2, 5000);
      const layers = instances.layers as ManualLayer[];
      for (const layer of layers) layer.setState('degraded', 'test');
      const downAt = Date.now();
      await sleep(500);
      // Only ticks claimed before the outage (at most one in flight) ran after it.
      expect(coordinated.filter((r) => r.start > downAt + 60)).toEqual([]);
      const localDuring = local.filter((r) => r.start > downAt + 60);
      expect(new Set(localDuring.map((r) => r.instance))).toEqual(new Set(['i0', 'i1', 'i2']));
      expect(localDuring.every((r) => r.local)).toBe(true);
      expect((await jobs[0]!.list()).find((s) => s.name === 'coordinated')!).toMatchObject({
        source: 'local',
      });
      expect(
        (await jobs[0]!.list()).find((s) => s.name === 'coordinated')!.here.skippedNoRedis,
      ).toBeGreaterThan(3);
      // Leadership lapses by the leader's own clock within the lease.
      await sleep(LEASE_MS);
      for (const s of await Promise.all(jobs.map((j) => j.list()))) {
        expect(s.every((x) => !x.here.leading)).toBe(true);
      }

      for (const layer of layers) layer.setState('ready');
      const upAt = Date.now();
      await eventually(() => coordinated.some((r) => r.start > upAt), 5000);
      checkRuns(coordinated);
    },
  );

  it.runIf(backend.name === 'memory')('aborts the running tick when the leader loses its lease', async () => {
    const jobs = await start(2);
    const aborted: string[] = [];
    const runs: Run[] = [];
    jobs.forEach((j, i) => {
      j.every('long', 100, async (ctx) => {
        const start = Date.now();
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 3000);
          ctx.signal.addEventListener('abort', () => {
            aborted.push(`i${i}:${(ctx.signal.reason as { code: string }).code}`);
            clearTimeout(timer);
            resolve();
          });
        });
        runs.push({
          instance: `i${i}`,
          tick: ctx.tick.getTime(),
          fence: ctx.fencingToken,
          start,
          end: Date.now(),
          local: ctx.local,
        });
      });
      j.start();
    });
    await eventually(async () => (await jobs[0]!.list())[0]!.lastRun?.status === 'running', 5000);
    const leaderId = (await jobs[0]!.list())[0]!.leader!;
    const index = Number(leaderId.slice(1));
    // Cut the leader off: it can no longer renew, so it must stop believing it leads.
    (instances.layers[index] as ManualLayer).setState('degraded', 'test');
    await eventually(() => aborted.length === 1, LEASE_MS * 2);
    expect(aborted[0]).toBe(`${leaderId}:JOBS_LEASE_LOST`);
    // The other instance takes over once the lease expired in the store.
    await eventually(async () => (await jobs[1 - index]!.list())[0]!.here.leading, LEASE_MS * 3);
  });
});
