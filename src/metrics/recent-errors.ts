/**
 * Server errors (5xx and errors recorded by the application) with their request context: kept in
 * process and appended to the cluster's list `<prefix>:metrics:errors`, trimmed to the last
 * METRICS_ERRORS_KEPT.
 */
import type { Logger } from '../logger.js';
import { withFallback } from '../redis/fallback.js';
import type { LayerView } from '../redis/view.js';
import { type Batches, localFallback, type Sourced } from './cluster.js';
import { checkQueryBound } from './errors.js';
import { metricsErrors } from './scripts.js';

export interface ErrorContext {
  method?: string;
  /** Recorded without its query string, which may carry secrets. */
  url?: string;
  route?: string;
  requestId?: string;
  userId?: string;
  statusCode?: number;
}

export interface ErrorRecord {
  message: string;
  code: string | null;
  statusCode: number | null;
  stack: string | null;
  instanceId: string;
  serverName: string;
  time: string;
  context: {
    method: string | null;
    url: string | null;
    route: string | null;
    requestId: string | null;
    userId: string | null;
  };
}

export interface ErrorsDocument extends Sourced {
  count: number;
  errors: ErrorRecord[];
}

export interface RecentErrorsOptions {
  instanceId: string;
  serverName: string;
  kept: number;
  logger: Logger;
}

const STACK_CHARS = 2000;

export class RecentErrors {
  #pending: ErrorRecord[] = [];
  /** Newest first. */
  readonly #local: ErrorRecord[] = [];

  constructor(
    private readonly layer: LayerView,
    private readonly o: RecentErrorsOptions,
  ) {}

  record(error: unknown, context: ErrorContext): void {
    const e = error instanceof Error ? error : new Error(String(error));
    const code = (e as { code?: unknown }).code;
    const record: ErrorRecord = {
      message: e.message.slice(0, 1000),
      code: typeof code === 'string' ? code : null,
      statusCode: context.statusCode ?? null,
      stack: e.stack === undefined ? null : e.stack.slice(0, STACK_CHARS),
      instanceId: this.o.instanceId,
      serverName: this.o.serverName,
      time: new Date().toISOString(),
      context: {
        method: context.method ?? null,
        url: context.url === undefined ? null : (context.url.split('?')[0] ?? '').slice(0, 500),
        route: context.route ?? null,
        requestId: context.requestId ?? null,
        userId: context.userId ?? null,
      },
    };
    this.#local.unshift(record);
    this.#local.length = Math.min(this.#local.length, this.o.kept);
    this.#pending.push(record);
    if (this.#pending.length > this.o.kept) this.#pending.shift();
  }

  /** Errors not yet flushed. */
  get pending(): number {
    return this.#pending.length;
  }

  flush(batches: Batches): Promise<void> {
    const errors = this.#pending;
    if (errors.length === 0) return Promise.resolve();
    this.#pending = [];
    return batches.send(
      metricsErrors,
      this.layer.keys.instances.errors(),
      [this.o.kept, ...errors.map((e) => JSON.stringify(e))],
      () => {
        this.#pending = [...errors, ...this.#pending].slice(-this.o.kept);
      },
    );
  }

  async read(count: number): Promise<ErrorsDocument> {
    checkQueryBound('count', count, this.o.kept);
    return withFallback<ErrorsDocument>(
      this.layer,
      async () => {
        const stored = await this.layer.store.lRange(this.layer.keys.instances.errors(), 0, count - 1);
        const errors = [...[...this.#pending].reverse(), ...stored.flatMap(parseError)].slice(0, count);
        return { source: 'cluster', singleInstance: false, count: errors.length, errors };
      },
      () => {
        const errors = this.#local.slice(0, count);
        return { source: 'local', singleInstance: true, count: errors.length, errors };
      },
      localFallback(this.o.logger, 'recent errors'),
    );
  }
}

function parseError(raw: string): ErrorRecord[] {
  try {
    return [JSON.parse(raw) as ErrorRecord];
  } catch {
    return [];
  }
}
