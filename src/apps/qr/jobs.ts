/**
 * Background warming started over HTTP (`POST /api/1/qr/warm`): the request returns at once with
 * a job id, and `GET /api/1/qr/warm/:id` reports progress from any instance.
 *
 * The job runs on the instance that received the request. Its status lives in this process and,
 * so that the status request may land on another instance, in Redis at `<prefix>:qr:warm:<id>`
 * (JSON, rewritten at most every half second while running, kept for an hour after the last
 * write). Without Redis the status is only known to the instance that runs the job. One job runs
 * per instance at a time; asking again while it runs returns the running job.
 */
import { randomBytes } from 'node:crypto';
import type { WarmProgress } from '../../cache/index.js';
import type { Logger } from '../../logger.js';
import type { Keys } from '../../redis/keys.js';
import type { RedisLayer } from '../../redis/layer.js';
import type { SubjectType } from './tokens/types.js';
import type { QRWarmer } from './warm.js';

export type WarmJobState = 'running' | 'done' | 'failed';

export interface WarmJob {
  id: string;
  state: WarmJobState;
  students: WarmProgress | null;
  stalls: WarmProgress | null;
  refresh: boolean;
  startedAt: string;
  finishedAt: string | null;
  /** Why the job failed, when it did. */
  error: string | null;
}

const STATUS_TTL_MS = 3_600_000;
/** Finished jobs this process remembers (older ones are only in Redis). */
const KEPT_JOBS = 20;
const WRITE_INTERVAL_MS = 500;
const FIELD: Record<SubjectType, 'students' | 'stalls'> = { student: 'students', stall: 'stalls' };

export class WarmJobs {
  readonly #jobs = new Map<string, WarmJob>();
  #current: WarmJob | undefined;
  readonly #tasks = new Set<Promise<void>>();

  constructor(
    private readonly warmer: QRWarmer,
    private readonly redis: RedisLayer,
    /** The QR app's key namespace: a job's status is `<namespace>:warm:<id>`. */
    private readonly keys: Keys,
    private readonly logger: Logger,
  ) {}

  /** Starts warming the given rosters in the background; returns the running job if there is one. */
  start(types: readonly SubjectType[], refresh: boolean): WarmJob {
    if (this.#current !== undefined) return this.#current;
    const job: WarmJob = {
      id: randomBytes(8).toString('hex'),
      state: 'running',
      students: null,
      stalls: null,
      refresh,
      startedAt: new Date().toISOString(),
      finishedAt: null,
      error: null,
    };
    this.#current = job;
    this.#jobs.set(job.id, job);
    for (const id of this.#jobs.keys()) {
      if (this.#jobs.size <= KEPT_JOBS) break;
      this.#jobs.delete(id);
    }
    const task = this.#run(job, types).finally(() => this.#tasks.delete(task));
    this.#tasks.add(task);
    return job;
  }

  /** A job's status: this instance's if it ran here, otherwise the copy in Redis. */
  async get(id: string): Promise<WarmJob | undefined> {
    const local = this.#jobs.get(id);
    if (local !== undefined) return local;
    if (!this.redis.usingRedis || !/^[0-9a-f]{16}$/.test(id)) return undefined;
    const stored = await this.redis.store.get(this.keys.key('warm', id)).catch(() => null);
    return stored === null ? undefined : (JSON.parse(stored) as WarmJob);
  }

  /** Waits for running jobs (used on shutdown and by tests). */
  async settled(): Promise<void> {
    await Promise.all([...this.#tasks]);
  }

  async #run(job: WarmJob, types: readonly SubjectType[]): Promise<void> {
    let lastWrite = 0;
    const save = (force: boolean) => {
      const now = Date.now();
      if (!force && now - lastWrite < WRITE_INTERVAL_MS) return;
      lastWrite = now;
      void this.#persist(job);
    };
    try {
      for (const type of types) {
        const report = await this.warmer.warm(type, {
          refresh: job.refresh,
          onProgress: (progress) => {
            job[FIELD[type]] = progress;
            save(false);
          },
        });
        const { failures: _failures, aborted: _aborted, ...progress } = report;
        job[FIELD[type]] = progress;
      }
      job.state = 'done';
    } catch (error) {
      job.state = 'failed';
      job.error = error instanceof Error ? error.message : String(error);
      this.logger.error({ err: error, job: job.id }, 'QR warming failed');
    } finally {
      job.finishedAt = new Date().toISOString();
      this.#current = undefined;
      save(true);
    }
  }

  async #persist(job: WarmJob): Promise<void> {
    if (!this.redis.usingRedis) return;
    try {
      await this.redis.store.set(this.keys.key('warm', job.id), JSON.stringify(job), {
        px: STATUS_TTL_MS,
      });
    } catch (error) {
      this.logger.debug({ err: error, job: job.id }, 'QR warm status not written to Redis');
    }
  }
}
