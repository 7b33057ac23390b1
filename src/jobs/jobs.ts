/**
 * `Jobs`: the run-once-per-cluster scheduler. `every(name, interval, fn)` and
 * `cron(name, expression, fn)` declare a job on every instance that runs the same code; each tick
 * then runs on exactly one instance of the cluster, whichever instances are alive (runner.ts has
 * the protocol, ledger.ts the keys). `list()` gives what GET /api/1/jobs shows: per job the
 * leader, the last run (instance, duration, outcome), totals and this instance's own view.
 *
 * The choice of what happens while Redis is down is made per job (`whenRedisDown`) and shown in
 * the listing: 'skip' (the default; nothing runs anywhere, since no instance can know it is alone)
 * or 'run-locally' (every instance runs it; only for local, idempotent work such as pruning an
 * in-process cache).
 */
import { type Logger, silentLogger } from '../logger.js';
import { anyFailure, withFallback } from '../redis/fallback.js';
import { clusterReachable, type LayerView } from '../redis/view.js';
import { JobsError } from './errors.js';
import { JobLedger, type JobRecord } from './ledger.js';
import {
  type JobDefinition,
  type JobFunction,
  JobRunner,
  type RunnerStats,
  type RunSummary,
  type WhenRedisDown,
} from './runner.js';
import { cronSchedule, everySchedule, parseInterval, type Schedule } from './schedule.js';

export interface JobOptions {
  /**
   * While Redis cannot be reached: 'skip' (default) runs the job nowhere; 'run-locally' runs it on
   * every instance, for work that is local to each process and idempotent.
   */
  whenRedisDown?: WhenRedisDown;
  /** One line for the listing: what the job does and why its `whenRedisDown` is right. */
  description?: string;
  /**
   * For a frequent job that often finds nothing to do: after a run that returned `JOB_IDLE`, the
   * instance lets the ticks of this long (ms, or '1s') pass without claiming them, and runs the
   * first one after, until a run returns anything else or `wake()` is called on this instance.
   * Default: unset, every tick is claimed.
   */
  idleEvery?: number | string;
}

export interface CronOptions extends JobOptions {
  /** IANA time zone the expression is read in (default UTC). */
  timezone?: string;
}

export interface JobHandle {
  readonly name: string;
  /** Ends this instance's idle back-off (`idleEvery`): its next tick is claimed. */
  wake(): void;
  /** Stops scheduling the job on this instance (waits for a running tick, releases the lease). */
  cancel(): Promise<void>;
}

export interface JobsOptions {
  instanceId: string;
  leaseMs: number;
  enabled: boolean;
  stopTimeoutMs: number;
  logger?: Logger;
}

export interface JobStatus extends Omit<JobRecord, 'leader'> {
  /** Leader's instance id; from Redis when reachable, else as last seen here. */
  leader: string | null;
  /** Whether the cluster-wide fields come from Redis (`cluster`) or only this instance (`local`). */
  source: 'cluster' | 'local';
  /** Null when the job is not scheduled on this instance (known from another one). */
  schedule: string | null;
  description: string | null;
  whenRedisDown: WhenRedisDown | null;
  nextRunAt: number | null;
  /** This instance's view. */
  here: {
    scheduled: boolean;
    leading: boolean;
    running: boolean;
    /** Letting ticks pass after a run that found nothing to do (`idleEvery`). */
    idle: boolean;
    lastRun: RunSummary | null;
  } & RunnerStats;
}

const NAME = /^[A-Za-z0-9_.:-]{1,100}$/;

/** What `list()` knows: the jobs' names and records, from the cluster's index or only from here. */
interface JobListing {
  names: string[];
  records: Map<string, JobRecord>;
  source: JobStatus['source'];
}

export class Jobs {
  readonly instanceId: string;
  readonly #layer: LayerView;
  readonly #ledger: JobLedger;
  readonly #options: JobsOptions;
  readonly #logger: Logger;
  readonly #runners = new Map<string, JobRunner>();
  #started = false;
  readonly #onState = () => {
    if (clusterReachable(this.#layer)) void this.#registerAll();
  };

  constructor(layer: LayerView, options: JobsOptions) {
    this.#layer = layer;
    this.#ledger = new JobLedger(layer.store, layer.keys);
    this.#options = options;
    this.instanceId = options.instanceId;
    this.#logger = options.logger ?? silentLogger;
  }

  /** Runs `fn` every `interval` (ms, or '500ms', '5s', '10m', '2h', '1d'), ticks aligned to the epoch. */
  every(name: string, interval: number | string, fn: JobFunction, options: JobOptions = {}): JobHandle {
    return this.#add(name, everySchedule(interval), fn, options);
  }

  /** Runs `fn` at the times of a cron expression (5 fields, or 6 with seconds first). */
  cron(name: string, expression: string, fn: JobFunction, options: CronOptions = {}): JobHandle {
    return this.#add(name, cronSchedule(expression, options.timezone), fn, options);
  }

  /** Starts every job declared so far, and those declared later at once. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#layer.on('state', this.#onState);
    for (const runner of this.#runners.values()) runner.start();
    void this.#registerAll();
  }

  /** Stops every job: waits up to JOBS_STOP_TIMEOUT_MS for running ticks, releases leases. */
  async stop(): Promise<void> {
    this.#started = false;
    this.#layer.off('state', this.#onState);
    await Promise.all([...this.#runners.values()].map((r) => r.stop(this.#options.stopTimeoutMs)));
  }

  /** Ends the idle back-off (`idleEvery`) of the job of that name on this instance, if it has one. */
  wake(name: string): void {
    this.#runners.get(name)?.wake();
  }

  /** Every job known here or in the cluster's index, sorted by name. */
  async list(): Promise<JobStatus[]> {
    const here = [...this.#runners.keys()];
    const { names, records, source } = await withFallback<JobListing>(
      this.#layer,
      async () => {
        const all = [...new Set([...here, ...(await this.#ledger.names())])];
        const found = await Promise.all(all.map((n) => this.#ledger.record(n)));
        return { names: all, records: new Map(found.map((r) => [r.name, r])), source: 'cluster' };
      },
      () => ({ names: here, records: new Map<string, JobRecord>(), source: 'local' }),
      {
        when: anyFailure,
        onFallback: (error) =>
          this.#logger.debug({ err: error }, 'job records unavailable; listing local state'),
      },
    );
    return names.sort().map((name) => this.#status(name, records.get(name), source));
  }

  #status(name: string, record: JobRecord | undefined, source: JobStatus['source']): JobStatus {
    const runner = this.#runners.get(name);
    const def = runner?.definition;
    return {
      name,
      source,
      leader: record === undefined ? (runner?.knownLeader ?? null) : record.leader,
      lastRun: record?.lastRun ?? null,
      runs: record?.runs ?? runner?.stats.runs ?? 0,
      failures: record?.failures ?? runner?.stats.failures ?? 0,
      consecutiveFailures: record?.consecutiveFailures ?? 0,
      schedule: def?.schedule.description ?? null,
      description: def === undefined ? null : def.description || null,
      whenRedisDown: def?.whenRedisDown ?? null,
      nextRunAt: runner?.nextTickAt ?? null,
      here: {
        scheduled: runner !== undefined,
        leading: runner?.leading ?? false,
        running: runner?.running ?? false,
        idle: runner?.idle ?? false,
        lastRun: runner?.lastRun ?? null,
        ...(runner?.stats ?? { runs: 0, failures: 0, localRuns: 0, skippedOverlap: 0, skippedNoRedis: 0 }),
      },
    };
  }

  #add(name: string, schedule: Schedule, fn: JobFunction, options: JobOptions): JobHandle {
    if (typeof name !== 'string' || !NAME.test(name)) {
      throw new JobsError(
        'JOBS_INVALID_NAME',
        `Job name ${JSON.stringify(name)}: use 1-100 of A-Z a-z 0-9 _ . : -`,
      );
    }
    if (this.#runners.has(name)) {
      throw new JobsError('JOBS_DUPLICATE', `A job named ${name} is already scheduled on this instance`);
    }
    if (typeof fn !== 'function')
      throw new JobsError('JOBS_INVALID_SCHEDULE', `Job ${name}: fn must be a function`);
    const whenRedisDown = options.whenRedisDown ?? 'skip';
    if (whenRedisDown !== 'skip' && whenRedisDown !== 'run-locally') {
      throw new JobsError(
        'JOBS_INVALID_SCHEDULE',
        `Job ${name}: whenRedisDown must be 'skip' or 'run-locally'`,
      );
    }
    const definition: JobDefinition = {
      name,
      schedule,
      fn,
      whenRedisDown,
      description: options.description ?? '',
      idleEveryMs: options.idleEvery === undefined ? 0 : parseInterval(options.idleEvery),
    };
    const runner = new JobRunner(definition, {
      layer: this.#layer,
      ledger: this.#ledger,
      instanceId: this.instanceId,
      leaseMs: this.#options.leaseMs,
      enabled: this.#options.enabled,
      logger: this.#logger,
    });
    this.#runners.set(name, runner);
    if (this.#started) {
      runner.start();
      void this.#register(name);
    }
    return {
      name,
      wake: () => runner.wake(),
      cancel: async () => {
        if (this.#runners.get(name) !== runner) return;
        this.#runners.delete(name);
        await runner.stop(this.#options.stopTimeoutMs);
      },
    };
  }

  async #registerAll(): Promise<void> {
    await Promise.all([...this.#runners.keys()].map((name) => this.#register(name)));
  }

  async #register(name: string): Promise<void> {
    if (!clusterReachable(this.#layer)) return;
    await this.#ledger.register(name).catch((error: unknown) => {
      this.#logger.debug({ job: name, err: error }, 'job not yet in the cluster index');
    });
  }
}
