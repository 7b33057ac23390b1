/**
 * The jobs ledger: everything the scheduler keeps in the Store, per job, under the hash tag
 * `jobs:<name>` so that one script can touch all of it on Cluster:
 *
 * - `lease`  the leader's owner token, `SET NX PX`; renewed with compare-and-pexpire and released
 *            with compare-and-delete (src/redis/scripts.ts), so a leader that lost it can do neither;
 * - `fence`  the fencing counter, incremented once per claimed tick (INCR): strictly increasing,
 *            never reset, handed to the job so downstream writes can reject a stale leader;
 * - `state`  a hash: the last claimed tick and its run (instance, start, status, finish,
 *            duration, error) and the totals runs / failures / consecutiveFailures;
 *
 * plus `<prefix>:jobs:index`, the set of job names, so any instance can list the cluster's jobs.
 * The same class runs on Redis and on a MemoryStore (each script has a JavaScript twin).
 */
import type { Keys } from '../redis/keys.js';
import { releaseIfHeld, renewIfHeld } from '../redis/scripts.js';
import type { Store } from '../redis/store.js';
import { jobsAcquire, jobsClaim, jobsFinish } from './scripts.js';

export interface LeaseAttempt {
  acquired: boolean;
  /** Token of the current holder ('' when the lease vanished between the two steps). */
  holder: string;
  /** Milliseconds until the holder's lease expires. */
  ttlMs: number;
}

export type Claim =
  | { claimed: true; fence: number }
  | { claimed: false; reason: 'not-leader' | 'already-run' };

export interface RunOutcome {
  fence: number;
  ok: boolean;
  finishedAt: number;
  durationMs: number;
  error: string;
}

/** What the Store knows about a job, as GET /api/1/jobs shows it. */
export interface JobRecord {
  name: string;
  /** Instance id of the current leader, null when nobody holds the lease. */
  leader: string | null;
  lastRun: {
    tick: number;
    fence: number;
    instance: string;
    startedAt: number;
    status: 'running' | 'ok' | 'failed';
    finishedAt: number | null;
    durationMs: number | null;
    error: string | null;
  } | null;
  runs: number;
  failures: number;
  consecutiveFailures: number;
}

/** Owner tokens are `<instance id>#<random>`: unique per process, and they name the leader. */
export function instanceOfToken(token: string): string {
  const at = token.lastIndexOf('#');
  return at === -1 ? token : token.slice(0, at);
}

export class JobLedger {
  constructor(
    private readonly store: Store,
    private readonly keys: Keys,
  ) {}

  async register(name: string): Promise<void> {
    await this.store.sAdd(this.keys.jobs.index(), [name]);
  }

  async names(): Promise<string[]> {
    return (await this.store.sMembers(this.keys.jobs.index())).sort();
  }

  async acquire(name: string, token: string, leaseMs: number): Promise<LeaseAttempt> {
    const reply = await this.store.runScript(jobsAcquire, [this.keys.jobs.lease(name)], [token, leaseMs]);
    const [acquired, holder, ttl] = reply as [number, string, number];
    return { acquired: acquired === 1, holder: String(holder), ttlMs: Number(ttl) };
  }

  renew(name: string, token: string, leaseMs: number): Promise<boolean> {
    return renewIfHeld(this.store, this.keys.jobs.lease(name), token, leaseMs);
  }

  release(name: string, token: string): Promise<boolean> {
    return releaseIfHeld(this.store, this.keys.jobs.lease(name), token);
  }

  async claim(
    name: string,
    token: string,
    tick: number,
    leaseMs: number,
    instanceId: string,
    startedAt: number,
  ): Promise<Claim> {
    const k = this.keys.jobs;
    const reply = (await this.store.runScript(
      jobsClaim,
      [k.lease(name), k.state(name), k.fence(name)],
      [token, tick, leaseMs, instanceId, startedAt],
    )) as [number, string | number];
    if (reply[0] === 1) return { claimed: true, fence: Number(reply[1]) };
    return { claimed: false, reason: reply[1] === 'already-run' ? 'already-run' : 'not-leader' };
  }

  /** True when this run was still the latest and its outcome became the job's "last run". */
  async finish(name: string, outcome: RunOutcome): Promise<boolean> {
    const reply = await this.store.runScript(
      jobsFinish,
      [this.keys.jobs.state(name)],
      [
        outcome.fence,
        outcome.ok ? 'ok' : 'failed',
        outcome.finishedAt,
        Math.round(outcome.durationMs),
        outcome.error,
      ],
    );
    return reply === 1;
  }

  async record(name: string): Promise<JobRecord> {
    const [holder, state] = await Promise.all([
      this.store.get(this.keys.jobs.lease(name)),
      this.store.hGetAll(this.keys.jobs.state(name)),
    ]);
    const num = (field: string) => (state[field] === undefined ? null : Number(state[field]));
    const status = state.status as 'running' | 'ok' | 'failed' | undefined;
    return {
      name,
      leader: holder === null ? null : instanceOfToken(holder),
      lastRun:
        state.tick === undefined
          ? null
          : {
              tick: Number(state.tick),
              fence: Number(state.fence),
              instance: state.instance ?? '',
              startedAt: Number(state.startedAt),
              status: status ?? 'running',
              finishedAt: status === 'running' ? null : num('finishedAt'),
              durationMs: status === 'running' ? null : num('durationMs'),
              error: status === 'failed' ? (state.error ?? '') : null,
            },
      runs: num('runs') ?? 0,
      failures: num('failures') ?? 0,
      consecutiveFailures: num('consecutiveFailures') ?? 0,
    };
  }
}
