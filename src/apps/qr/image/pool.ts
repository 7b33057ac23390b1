/**
 * A pool of worker threads that render QR images, for warming: rendering is pure CPU (about
 * 0.1 ms per PNG), so on a machine with spare cores it runs beside the main thread, which keeps
 * reading the database and writing Redis.
 *
 * `render()` queues one job; jobs queued in the same turn of the event loop go out together, split
 * across the workers by how many jobs each already has in flight, so the cost of a message is
 * shared by a whole batch. A worker that fails fails its jobs (the caller counts them) and is
 * replaced. With no workers (size 0) jobs render on the calling thread.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../../logger.js';
import type { ErrorCorrectionLevel } from './matrix.js';
import { type ImageOptions, type RenderedImage, renderImage } from './render.js';

export interface RenderJob {
  token: string;
  options: ImageOptions;
  errorCorrection: ErrorCorrectionLevel;
}

export interface RenderBatch {
  id: number;
  jobs: RenderJob[];
}

export interface RenderReply {
  id: number;
  results: ({ ok: true; body: Uint8Array; etag: string } | { ok: false; error: string })[];
}

interface Pending {
  job: RenderJob;
  resolve: (image: RenderedImage) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  inFlight: Map<number, Pending[]>;
  jobs: number;
}

/** Most jobs in one message: bounds the latency of the first result of a large batch. */
const MAX_BATCH = 64;

const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(FROM_SOURCE ? './render-worker.ts' : './render-worker.js', import.meta.url);

/** Under tsx (development, tests) the worker is TypeScript: it registers tsx's loader first. */
function startWorker(): Worker {
  if (!FROM_SOURCE) return new Worker(WORKER_URL);
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}); })`;
  return new Worker(bootstrap, { eval: true });
}

export class RenderPool {
  readonly #slots: Slot[] = [];
  #queue: Pending[] = [];
  #scheduled = false;
  #nextId = 0;
  #closed = false;

  constructor(
    readonly size: number,
    private readonly logger: Logger,
  ) {
    for (let i = 0; i < size; i++) this.#slots.push(this.#spawn());
  }

  render(job: RenderJob): Promise<RenderedImage> {
    if (this.size === 0 || this.#closed) {
      return new Promise((resolve) => resolve(renderImage(job.token, job.options, job.errorCorrection)));
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ job, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const slots = this.#slots.splice(0);
    for (const slot of slots) this.#failAll(slot, new Error('render pool closed'));
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  #flush(): void {
    this.#scheduled = false;
    const queue = this.#queue;
    this.#queue = [];
    for (let start = 0; start < queue.length; start += MAX_BATCH) {
      const chunk = queue.slice(start, start + MAX_BATCH);
      const slot = this.#slots.reduce((a, b) => (b.jobs < a.jobs ? b : a));
      const id = this.#nextId++;
      slot.inFlight.set(id, chunk);
      slot.jobs += chunk.length;
      const batch: RenderBatch = { id, jobs: chunk.map((p) => p.job) };
      slot.worker.postMessage(batch);
    }
  }

  #spawn(): Slot {
    const worker = startWorker();
    const slot: Slot = { worker, inFlight: new Map(), jobs: 0 };
    worker.on('message', (reply: RenderReply) => {
      const pending = slot.inFlight.get(reply.id);
      if (pending === undefined) return;
      slot.inFlight.delete(reply.id);
      slot.jobs -= pending.length;
      pending.forEach((p, i) => {
        const result = reply.results[i];
        if (result?.ok) {
          const body = Buffer.from(result.body.buffer, result.body.byteOffset, result.body.byteLength);
          p.resolve({ body, etag: result.etag });
        } else {
          p.reject(new Error(result?.error ?? 'no result from the render worker'));
        }
      });
    });
    const replace = (error: Error) => {
      this.#failAll(slot, error);
      const index = this.#slots.indexOf(slot);
      if (index < 0 || this.#closed) return;
      this.logger.warn({ err: error }, 'QR render worker failed; replacing it');
      this.#slots[index] = this.#spawn();
    };
    worker.on('error', replace);
    worker.on('exit', (code) => {
      if (!this.#closed) replace(new Error(`render worker exited with code ${code}`));
    });
    return slot;
  }

  #failAll(slot: Slot, error: Error): void {
    for (const pending of slot.inFlight.values()) for (const p of pending) p.reject(error);
    slot.inFlight.clear();
    slot.jobs = 0;
  }
}
