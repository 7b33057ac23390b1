/**
 * Warming: renders the default image of every student or stall into the cache ahead of demand.
 *
 * The roster is read in pages of QR_WARM_BATCH_SIZE rows (keyset pagination, so 25,000 rows are
 * never held at once); the cache's `warm()` pulls keys QR_WARM_CONCURRENCY at a time, skips those
 * already cached (unless `refresh`), and writes the rest to Redis only, so a warming instance's
 * in-process tier is not flushed by 25,000 images nobody asked it for. Rendering goes to a pool of
 * worker threads when QR_WARM_WORKERS allows (render jobs queued in one turn of the event loop
 * travel together); the main thread keeps the database and Redis busy meanwhile.
 *
 * The same source and loader back the `students` and `stalls` targets of `plexus warm-cache`
 * (index.ts).
 */
import { availableParallelism } from 'node:os';
import type { WarmOptions, WarmProgress, WarmReport } from '../../cache/index.js';
import type { Logger } from '../../logger.js';
import type { QRConfig } from './config.js';
import type { QRRepository, SubjectRecord } from './db/repository.js';
import { RenderPool } from './image/pool.js';
import type { ImageFormat, ImageOptions } from './image/render.js';
import type { QRImages } from './images.js';
import type { SubjectType } from './tokens/types.js';

export interface QRWarmOptions {
  /** Re-render images that are already cached (after a key rotation, say). @default false */
  refresh?: boolean;
  /** Formats to warm, at the configured default size and margin. @default ['png'] */
  formats?: readonly ImageFormat[];
  /** Images in flight at once. @default QR_WARM_CONCURRENCY */
  concurrency?: number;
  onProgress?: (progress: WarmProgress) => void;
  /** Least time between two progress reports. @default 200 */
  progressIntervalMs?: number;
  signal?: AbortSignal;
}

interface Pending {
  record: SubjectRecord;
  options: ImageOptions;
  page: number;
}

/** Workers are closed after this long without warming. */
const POOL_IDLE_MS = 10_000;

/**
 * Most keys any warm run has in flight (QR_WARM_CONCURRENCY and CACHE_WARM_CONCURRENCY are both
 * capped below this): records of pages further back are loaded or skipped by then.
 */
const MAX_IN_FLIGHT = 4096;

export function workerCount(setting: number | 'auto'): number {
  return setting === 'auto' ? Math.min(4, Math.max(0, availableParallelism() - 1)) : setting;
}

export class QRWarmer {
  readonly #config: QRConfig;
  readonly #images: QRImages;
  readonly #repository: QRRepository;
  readonly #logger: Logger;
  /** Records read by a source, by cache key, until their loader runs. */
  readonly #pending: Record<SubjectType, Map<string, Pending>> = { student: new Map(), stall: new Map() };
  #pool: RenderPool | undefined;
  #running = 0;
  #idle: NodeJS.Timeout | undefined;

  constructor(config: QRConfig, images: QRImages, repository: QRRepository, logger: Logger) {
    this.#config = config;
    this.#images = images;
    this.#repository = repository;
    this.#logger = logger;
  }

  /** Warms every student's or stall's images; resolves with the cache's report. */
  async warm(type: SubjectType, options: QRWarmOptions = {}): Promise<WarmReport> {
    const formats = options.formats ?? ['png'];
    const warmOptions: WarmOptions = {
      ttl: this.#config.cacheTtlSeconds * 1000,
      concurrency: options.concurrency ?? this.#config.warmConcurrency,
      total: (await this.#repository.count(type)) * formats.length,
      refresh: options.refresh ?? false,
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      ...(options.progressIntervalMs === undefined ? {} : { progressIntervalMs: options.progressIntervalMs }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    };
    return this.#images
      .namespace(type)
      .warm(this.keys(type, formats), (key) => this.load(type, key), warmOptions);
  }

  /** Cache keys of every record's images, page by page. */
  async *keys(type: SubjectType, formats: readonly ImageFormat[]): AsyncGenerator<string> {
    const pending = this.#pending[type];
    const batch = this.#config.warmBatchSize;
    const keep = Math.ceil(MAX_IN_FLIGHT / batch) + 1;
    let after: string | undefined;
    const keysOfPage: string[][] = [];
    this.#started();
    try {
      for (let page = 0; ; page++) {
        const records = await this.#repository.page(type, after, batch);
        if (records.length === 0) return;
        after = records[records.length - 1]!.id;
        const keys: string[] = [];
        for (const record of records) {
          for (const format of formats) {
            const options = this.#images.defaults(format);
            const key = this.#images.cacheKey(record.id, options);
            pending.set(key, { record, options, page });
            keys.push(key);
          }
        }
        keysOfPage.push(keys);
        if (keysOfPage.length > keep) for (const key of keysOfPage.shift()!) pending.delete(key);
        yield* keys;
      }
    } finally {
      // Records of the last pages stay for the loads still in flight. Those of keys that were
      // skipped (already cached) linger, at most `keep` pages of them, until a later run reaches
      // the same keys and replaces them.
      this.#finished();
    }
  }

  /** Renders the image a warming key stands for. */
  async load(type: SubjectType, key: string): Promise<Buffer> {
    let pending = this.#pending[type].get(key);
    this.#pending[type].delete(key);
    if (pending === undefined) {
      const [id, , format, size, margin] = key.split(':');
      const record = id === undefined ? undefined : await this.#repository.find(type, id);
      if (record === undefined) throw new Error(`${type} ${id} no longer exists`);
      pending = {
        record,
        options: { format: format as ImageFormat, size: Number(size), margin: Number(margin) },
        page: -1,
      };
    }
    const pool = this.#renderPool();
    return this.#images.entryFor(pending.record, pending.options, (job) => pool.render(job));
  }

  async close(): Promise<void> {
    clearTimeout(this.#idle);
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.close();
  }

  #renderPool(): RenderPool {
    if (this.#pool === undefined) {
      this.#pool = new RenderPool(workerCount(this.#config.warmWorkers), this.#logger);
    }
    return this.#pool;
  }

  #started(): void {
    this.#running++;
    clearTimeout(this.#idle);
  }

  #finished(): void {
    this.#running--;
    if (this.#running > 0) return;
    this.#idle = setTimeout(() => void this.close(), POOL_IDLE_MS);
    this.#idle.unref();
  }
}
