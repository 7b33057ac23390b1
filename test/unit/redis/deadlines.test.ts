/**
 * The deadline queue and the executor on top of it: a call that never answers (a paused Redis)
 * is rejected with REDIS_TIMEOUT no later than the command timeout, settled calls cost nothing
 * at expiry, and the timer runs only while calls are pending.
 */
import { ErrorReply } from 'redis';
import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../../src/redis/breaker.js';
import { type Deadline, DeadlineQueue } from '../../../src/redis/deadlines.js';
import { Executor } from '../../../src/redis/executor.js';
import { Stats } from '../../../src/redis/stats.js';
import { LoopStalls } from '../../support/stalls.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
function entry(expire: () => void): Deadline {
  return { at: 0, prev: undefined, next: undefined, expire };
}

/** Timers fire late on a loaded machine (by more when the process is not scheduled: LoopStalls); never early. */
const LATE_SLACK_MS = 60;

describe('DeadlineQueue', () => {
  it('expires every unsettled entry within the timeout, never much earlier', async () => {
    const timeoutMs = 100;
    const queue = new DeadlineQueue(timeoutMs);
    const waits: number[] = [];
    const tracked: Promise<void>[] = [];
    const stalls = new LoopStalls();
    for (let i = 0; i < 20; i++) {
      const start = performance.now();
      tracked.push(
        new Promise<void>((resolve) => {
          const expire = () => {
            waits.push(performance.now() - start);
            resolve();
          };
          queue.add(entry(expire), start);
        }),
      );
      await sleep(3); // staggered, as commands are
    }
    await Promise.all(tracked);
    stalls.stop();
    expect(waits).toHaveLength(20);
    for (const wait of waits) {
      expect(wait).toBeLessThanOrEqual(stalls.bound(timeoutMs + LATE_SLACK_MS));
      // Deadlines are set one tick early so that the tick that expires them is not late.
      expect(wait).toBeGreaterThanOrEqual(timeoutMs - 2 * Math.floor(timeoutMs / 10));
    }
    expect(queue.pending).toBe(0);
  });

  it('forgets settled entries at once, expires only the pending ones, then stops ticking', async () => {
    const queue = new DeadlineQueue(50);
    let expired = 0;
    const expire = () => expired++;
    const settled = Array.from({ length: 1000 }, () => entry(expire));
    for (const entry of settled) queue.add(entry, performance.now());
    const open = entry(expire);
    queue.add(open, performance.now());
    for (const entry of settled) expect(queue.settle(entry)).toBe(true);
    expect(queue.pending).toBe(1);
    await sleep(120);
    expect(expired).toBe(1);
    expect(queue.pending).toBe(0);
    // Once expired, a late reply is told to be ignored.
    expect(queue.settle(open)).toBe(false);
  });

  it('keeps deadline order when entries settle out of order', async () => {
    const queue = new DeadlineQueue(40);
    const order: number[] = [];
    const entries = Array.from({ length: 5 }, (_, i) => entry(() => order.push(i)));
    for (const e of entries) queue.add(e, performance.now());
    queue.settle(entries[1]!);
    queue.settle(entries[4]!);
    queue.settle(entries[0]!);
    expect(queue.settle(entries[0]!)).toBe(false);
    await sleep(80);
    expect(order).toEqual([2, 3]);
  });

  it('expires everything at once on expireAll (shutdown)', () => {
    const queue = new DeadlineQueue(60_000);
    let expired = 0;
    for (let i = 0; i < 3; i++)
      queue.add(
        entry(() => expired++),
        performance.now(),
      );
    queue.expireAll();
    expect(expired).toBe(3);
    expect(queue.pending).toBe(0);
  });
});

function executor(timeoutMs = 100) {
  const breaker = new CircuitBreaker({
    windowMs: 10_000,
    volumeThreshold: 5,
    errorRatePercent: 50,
    resetMs: 1000,
  });
  const stats = new Stats();
  const unavailable: string[] = [];
  const exec = new Executor(breaker, new DeadlineQueue(timeoutMs), stats, (node) => unavailable.push(node));
  return { exec, breaker, stats, unavailable };
}

describe('Executor', () => {
  it('rejects a call that never answers with REDIS_TIMEOUT within the timeout', async () => {
    const { exec, stats, unavailable } = executor(100);
    const stalls = new LoopStalls();
    const start = performance.now();
    await expect(exec.run('GET', 'n1', () => new Promise(() => {}))).rejects.toMatchObject({
      code: 'REDIS_TIMEOUT',
    });
    const waited = performance.now() - start;
    stalls.stop();
    expect(waited).toBeLessThanOrEqual(stalls.bound(100 + LATE_SLACK_MS));
    expect(stats.snapshot()).toMatchObject({ total: 1, failed: 1, timeouts: 1 });
    expect(unavailable).toEqual(['n1']);
  });

  it('ignores a reply that arrives after the timeout', async () => {
    const { exec, stats } = executor(50);
    let answer: (value: string) => void = () => {};
    const call = exec.run('GET', 'n1', () => new Promise((resolve) => (answer = resolve)));
    await expect(call).rejects.toMatchObject({ code: 'REDIS_TIMEOUT' });
    answer('late');
    await sleep(10);
    expect(stats.snapshot()).toMatchObject({ total: 1, successful: 0 });
  });

  it('classifies error replies as REDIS_COMMAND_FAILED, which do not count against Redis', async () => {
    const { exec, breaker, unavailable } = executor();
    for (let i = 0; i < 10; i++) {
      await expect(
        exec.run('INCR', 'n1', () => Promise.reject(new ErrorReply('WRONGTYPE Operation against a key'))),
      ).rejects.toMatchObject({ code: 'REDIS_COMMAND_FAILED' });
    }
    expect(breaker.state).toBe('closed');
    expect(unavailable).toEqual([]);
  });

  it('classifies connection failures and unavailable replies as REDIS_UNAVAILABLE and opens the breaker', async () => {
    const { exec, breaker, unavailable } = executor();
    const failures = [
      new Error('Socket closed unexpectedly'),
      new ErrorReply('CLUSTERDOWN The cluster is down'),
    ];
    for (let i = 0; i < 6; i++) {
      await expect(exec.run('SET', 'n2', () => Promise.reject(failures[i % 2]))).rejects.toMatchObject({
        code: 'REDIS_UNAVAILABLE',
      });
    }
    expect(breaker.state).toBe('open');
    expect(unavailable.length).toBeGreaterThanOrEqual(5);
    // Open: refused at once, without calling Redis.
    let called = false;
    await expect(
      exec.run('GET', 'n2', async () => {
        called = true;
      }),
    ).rejects.toMatchObject({ code: 'REDIS_UNAVAILABLE' });
    expect(called).toBe(false);
  });

  it('passes replies through and records latency per node', async () => {
    const { exec, stats } = executor();
    expect(await exec.run('GET', 'a:1', async () => 'value')).toBe('value');
    expect(await exec.run('GET', 'b:2', async () => null)).toBeNull();
    expect(Object.keys(stats.nodes()).sort()).toEqual(['a:1', 'b:2']);
    expect(stats.snapshot()).toMatchObject({ total: 2, successful: 2, failed: 0, successRate: 1 });
  });
});
