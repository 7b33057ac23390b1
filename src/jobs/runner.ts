/**
 * One scheduled job on one instance: its leader campaign and its tick loop.
 *
 * Leadership. Every instance campaigns for the job's lease (JobLedger.acquire, `SET NX PX`); the
 * leader renews it every third of the lease, a follower tries again when the holder's lease is due
 * to expire, so a dead leader is replaced within one lease. The leader considers itself leader
 * until `start of its last successful acquire/renew + lease − margin` by its own clock, which ends
 * before Redis expires the key; if it reaches that point unrenewed (Redis unreachable, process
 * frozen) or a renewal finds another holder, it steps down and aborts its running tick's signal.
 *
 * Ticks. Every instance arms a timer for each tick; at the tick, the leader claims it (jobs_claim:
 * still the holder, and the tick is later than the last claimed one) and receives the next fencing
 * token, then runs the job. So each tick runs at most once in the cluster, and a tick that found
 * no leader (during a takeover) is skipped, not run late. A tick that comes while the previous one
 * is still running on this instance is skipped, and while it runs the leader keeps renewing, so no
 * other instance starts the next tick either: an overrunning tick never overlaps the next.
 *
 * Idle back-off. A frequent job that often finds nothing to do (a queue polled every 25 ms) may
 * declare `idleEveryMs` and return `JOB_IDLE` from a run that found nothing: this instance then
 * lets the ticks of the next `idleEveryMs` pass without claiming them (no Redis call, nothing
 * run, no timer), and runs the first one after, until a run does some work again or `wake()` is
 * called here (which re-arms the timer for the next tick). Only the instance whose run returned
 * `JOB_IDLE` backs off; one that takes the lease over starts at the full rate.
 *
 * Without Redis (layer degraded or still connecting) no instance can know it is alone, so ticks
 * are skipped, unless the job opted in with `whenRedisDown: 'run-locally'` (local, idempotent
 * work): then each instance runs it itself, with `local: true` and a process-local fencing token.
 * In memory mode the process is alone by configuration and the ledger lives in a MemoryStore.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../logger.js';
import { clusterReachable, type LayerView } from '../redis/view.js';
import { JobsError } from './errors.js';
import { instanceOfToken, type JobLedger } from './ledger.js';
import type { Schedule } from './schedule.js';

export type WhenRedisDown = 'skip' | 'run-locally';

export interface JobContext {
  name: string;
  /** The tick's scheduled time. */
  tick: Date;
  /**
   * Strictly increasing per job across the cluster (INCR in Redis): pass it along with writes so
   * that a store can reject a late write from a leader that was replaced. Process-local when `local`.
   */
  fencingToken: number;
  instanceId: string;
  /** Aborted when this instance loses the lease mid-run, or the scheduler stops and stops waiting. */
  signal: AbortSignal;
  /** True when the tick ran without cluster coordination (Redis down and `run-locally`). */
  local: boolean;
}

/**
 * What a job's run returns when it found nothing to do: with `idleEveryMs` set, the instance
 * claims its next ticks only every `idleEveryMs` (see above) until a run returns anything else.
 */
export const JOB_IDLE: unique symbol = Symbol('plexus.job.idle');

export type JobFunction = (context: JobContext) => unknown;

export interface JobDefinition {
  name: string;
  schedule: Schedule;
  fn: JobFunction;
  whenRedisDown: WhenRedisDown;
  description: string;
  /** After a run returned JOB_IDLE, claim ticks only this often until one does work (0: never back off). */
  idleEveryMs: number;
}

export interface RunnerEnvironment {
  layer: LayerView;
  ledger: JobLedger;
  instanceId: string;
  leaseMs: number;
  /** False: never lead, never run (JOBS_ENABLED=false). */
  enabled: boolean;
  logger: Logger;
}

export interface RunSummary {
  tick: number;
  fence: number;
  startedAt: number;
  durationMs: number;
  ok: boolean;
  error: string | null;
  local: boolean;
}

export interface RunnerStats {
  runs: number;
  failures: number;
  localRuns: number;
  /** Ticks skipped because the previous one was still running here. */
  skippedOverlap: number;
  /** Ticks skipped because Redis could not be reached and the job does not run locally. */
  skippedNoRedis: number;
}

/** setTimeout's limit; longer waits (a yearly cron) are re-armed in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class JobRunner {
  readonly definition: JobDefinition;
  readonly stats: RunnerStats = { runs: 0, failures: 0, localRuns: 0, skippedOverlap: 0, skippedNoRedis: 0 };
  lastRun: RunSummary | null = null;
  nextTickAt: number | null = null;
  /** Instance id of the leader as last seen by this instance. */
  knownLeader: string | null = null;

  readonly #env: RunnerEnvironment;
  readonly #token: string;
  readonly #margin: number;
  #leaderUntil = 0;
  /** Until when another instance's lease runs, as last seen (followers need not ask before then). */
  #holderUntil = 0;
  /** The tick being claimed or run on this instance, if any. */
  #ticking: Promise<void> | undefined;
  #running: { controller: AbortController; done: Promise<void> } | undefined;
  #attempt: Promise<number> | undefined;
  #localFence = 0;
  /** Ticks before this time pass unclaimed: the last run here returned JOB_IDLE. */
  #idleUntil = 0;
  /** Counts wake() calls: a wake during a run keeps that run's JOB_IDLE from starting a back-off. */
  #wakes = 0;
  #stopped = true;
  #tickTimer: NodeJS.Timeout | undefined;
  #campaignTimer: NodeJS.Timeout | undefined;
  #validityTimer: NodeJS.Timeout | undefined;

  constructor(definition: JobDefinition, env: RunnerEnvironment) {
    this.definition = definition;
    this.#env = env;
    this.#token = `${env.instanceId}#${randomBytes(6).toString('hex')}`;
    // Clock-rate drift between this process and Redis over one lease, plus timer lateness.
    this.#margin = Math.ceil(env.leaseMs * 0.01) + 5;
  }

  get leading(): boolean {
    return Date.now() < this.#leaderUntil;
  }

  get running(): boolean {
    return this.#running !== undefined;
  }

  /** Whether this instance is letting ticks pass because its last run returned JOB_IDLE. */
  get idle(): boolean {
    return this.#idleUntil > 0;
  }

  /** Ends the idle back-off here: the next tick is claimed (work has just arrived, e.g. a join). */
  wake(): void {
    this.#idleUntil = 0;
    this.#wakes++;
    // The timer may be armed for the end of the back-off: bring it back to the next tick.
    if (this.#stopped || this.nextTickAt === null) return;
    const next = this.definition.schedule.next(Date.now());
    if (next < this.nextTickAt) {
      clearTimeout(this.#tickTimer);
      this.#armTick(next);
    }
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#armTick(this.definition.schedule.next(Date.now()));
    if (this.#env.enabled) void this.#campaign();
  }

  /** Waits up to `timeoutMs` for a running tick, then releases the lease if this instance holds it. */
  async stop(timeoutMs: number): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#tickTimer);
    clearTimeout(this.#campaignTimer);
    this.nextTickAt = null;
    // A campaign attempt in flight may still take the lease: let it land, so it can be released.
    await this.#attempt;
    const ticking = this.#ticking;
    if (ticking !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        ticking.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (!finished) {
        this.#running?.controller.abort(
          new JobsError('JOBS_STOPPED', `Scheduler stopping: ${this.definition.name} aborted`),
        );
        // Still running: keep the lease until it expires so that no successor overlaps this run.
        this.#stepDown();
        return;
      }
    }
    const wasLeading = this.leading;
    this.#stepDown();
    if (wasLeading && clusterReachable(this.#env.layer)) {
      await this.#env.ledger.release(this.definition.name, this.#token).catch((error: unknown) => {
        this.#env.logger.debug({ job: this.definition.name, err: error }, 'lease release failed');
      });
    }
  }

  #armTick(at: number): void {
    if (this.#stopped) return;
    this.nextTickAt = at;
    const delay = at - Date.now();
    this.#tickTimer = setTimeout(
      () => (delay > MAX_TIMER_MS ? this.#armTick(at) : void this.#onTick(at)),
      Math.max(0, Math.min(delay, MAX_TIMER_MS)),
    );
    this.#tickTimer.unref();
  }

  async #onTick(tick: number): Promise<void> {
    // While backing off, the timer skips to the back-off's end (ticks before it would only be let pass).
    this.#armTick(this.definition.schedule.next(Math.max(Date.now(), tick, this.#idleUntil - 1)));
    if (this.#ticking !== undefined) {
      this.stats.skippedOverlap++;
      this.#env.logger.warn(
        { job: this.definition.name },
        'job tick skipped: the previous one is still running',
      );
      return;
    }
    this.#ticking = this.#tick(tick)
      .catch((error: unknown) =>
        this.#env.logger.error({ job: this.definition.name, err: error }, 'job tick failed'),
      )
      .finally(() => {
        this.#ticking = undefined;
      });
    await this.#ticking;
  }

  async #tick(tick: number): Promise<void> {
    const { layer, ledger, enabled, leaseMs, instanceId } = this.#env;
    if (!enabled) return;
    // The tick armed before the last run went idle.
    if (tick < this.#idleUntil) return;
    this.#idleUntil = 0;
    if (!clusterReachable(layer)) return this.#withoutRedis(tick);
    if (!this.leading && Date.now() >= this.#holderUntil) await this.#tryLead();
    if (!this.leading) return;
    const startedAt = Date.now();
    let claim: Awaited<ReturnType<JobLedger['claim']>>;
    try {
      claim = await ledger.claim(this.definition.name, this.#token, tick, leaseMs, instanceId, startedAt);
    } catch (error) {
      this.#env.logger.debug({ job: this.definition.name, err: error }, 'tick claim failed');
      return this.#withoutRedis(tick);
    }
    if (!claim.claimed) {
      if (claim.reason === 'not-leader') this.#stepDown('the lease is held by another instance');
      return;
    }
    this.#leading(startedAt);
    // Stopping began while claiming: the tick is skipped rather than run past the lease release.
    if (this.#stopped) return;
    await this.#run(tick, claim.fence, false);
  }

  async #withoutRedis(tick: number): Promise<void> {
    if (this.definition.whenRedisDown === 'run-locally') {
      await this.#run(tick, ++this.#localFence, true);
    } else {
      this.stats.skippedNoRedis++;
    }
  }

  async #run(tick: number, fence: number, local: boolean): Promise<void> {
    const { name, fn } = this.definition;
    const controller = new AbortController();
    let finish = () => {};
    const done = new Promise<void>((resolve) => {
      finish = resolve;
    });
    this.#running = { controller, done };
    const startedAt = Date.now();
    const t0 = performance.now();
    let error: unknown;
    let ok = true;
    let result: unknown;
    const wakes = this.#wakes;
    try {
      result = await fn({
        name,
        tick: new Date(tick),
        fencingToken: fence,
        instanceId: this.#env.instanceId,
        signal: controller.signal,
        local,
      });
    } catch (caught) {
      ok = false;
      error = caught;
    }
    const durationMs = performance.now() - t0;
    this.#running = undefined;
    finish();
    const { idleEveryMs } = this.definition;
    if (result === JOB_IDLE && idleEveryMs > 0 && wakes === this.#wakes) this.#idleUntil = tick + idleEveryMs;
    const message = ok ? null : error instanceof Error ? error.message : String(error);
    this.stats.runs++;
    if (local) this.stats.localRuns++;
    if (!ok) {
      this.stats.failures++;
      this.#env.logger.error({ job: name, tick, fence, err: error }, 'job failed');
    }
    this.lastRun = { tick, fence, startedAt, durationMs, ok, error: message, local };
    if (local) return;
    await this.#env.ledger
      .finish(name, { fence, ok, finishedAt: Date.now(), durationMs, error: message ?? '' })
      .catch((caught: unknown) =>
        this.#env.logger.debug({ job: name, err: caught }, 'job outcome not recorded in Redis'),
      );
  }

  /** Renews or acquires once (single-flight); resolves to the delay before the next attempt. */
  #tryLead(): Promise<number> {
    this.#attempt ??= this.#leadOnce().finally(() => {
      this.#attempt = undefined;
    });
    return this.#attempt;
  }

  async #leadOnce(): Promise<number> {
    const { layer, ledger, leaseMs } = this.#env;
    const { name } = this.definition;
    const renewEvery = Math.floor(leaseMs / 3);
    if (!clusterReachable(layer)) return renewEvery;
    const startedAt = Date.now();
    try {
      if (this.leading) {
        if (await ledger.renew(name, this.#token, leaseMs)) this.#leading(startedAt);
        else this.#stepDown('a renewal found another holder');
        return renewEvery;
      }
      const attempt = await ledger.acquire(name, this.#token, leaseMs);
      if (attempt.acquired) {
        this.#leading(startedAt);
        return renewEvery;
      }
      this.knownLeader = attempt.holder === '' ? null : instanceOfToken(attempt.holder);
      this.#holderUntil = startedAt + Math.max(0, attempt.ttlMs);
      // Try again right when the holder's lease would expire (it renews before then if alive).
      return Math.max(Math.floor(leaseMs / 20), Math.min(renewEvery, attempt.ttlMs + 5));
    } catch (error) {
      this.#env.logger.debug({ job: name, err: error }, 'lease campaign failed');
      return Math.floor(leaseMs / 10);
    }
  }

  async #campaign(): Promise<void> {
    if (this.#stopped) return;
    const delay = await this.#tryLead();
    if (this.#stopped) return;
    this.#campaignTimer = setTimeout(() => void this.#campaign(), delay);
    this.#campaignTimer.unref();
  }

  #leading(startedAt: number): void {
    const wasLeading = this.leading;
    this.#leaderUntil = startedAt + this.#env.leaseMs - this.#margin;
    this.knownLeader = this.#env.instanceId;
    clearTimeout(this.#validityTimer);
    this.#validityTimer = setTimeout(
      () => this.#stepDown('the lease ran out without renewal'),
      this.#leaderUntil - Date.now(),
    );
    this.#validityTimer.unref();
    if (!wasLeading) this.#env.logger.info({ job: this.definition.name }, 'job leadership acquired');
  }

  #stepDown(reason?: string): void {
    const wasLeading = this.#leaderUntil > 0;
    this.#leaderUntil = 0;
    clearTimeout(this.#validityTimer);
    if (reason === undefined || !wasLeading) return;
    if (this.knownLeader === this.#env.instanceId) this.knownLeader = null;
    this.#env.logger.warn({ job: this.definition.name, reason }, 'job leadership lost');
    this.#running?.controller.abort(
      new JobsError('JOBS_LEASE_LOST', `${this.definition.name}: leadership lost (${reason})`),
    );
  }
}
