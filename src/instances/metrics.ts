/**
 * `Metrics`: what this instance counts, and the cluster-wide views built from every instance.
 *
 * Recorded in process, flushed to the Store once per report interval (by the registry), so a
 * request costs a few map updates and never a Redis call:
 * - custom counters, `increment(name, by)`, summed into the hash `<prefix>:metrics:counters`
 *   (no expiry: a cluster total since the hash was created);
 * - request counts per minute, by method, route pattern and status, summed into one hash per
 *   minute, `<prefix>:metrics:requests:<epoch minute>`, kept METRICS_REQUESTS_RETENTION_MINUTES;
 * - server errors (5xx and errors recorded by the application), appended to the list
 *   `<prefix>:metrics:errors`, trimmed to the last METRICS_ERRORS_KEPT.
 * Every batch is one script call per key (metrics_hincr, metrics_errors); requests.ts shapes the
 * per-minute counts into the /api/1/metrics/requests document.
 *
 * Outages. Deltas not yet flushed stay pending while Redis is unreachable and are flushed when it
 * is back (minutes older than the retention are dropped). A flush that was refused (REDIS_UNAVAILABLE,
 * nothing sent) is retried; one that timed out may or may not have been applied and is dropped
 * rather than risk counting twice (counted in `stats().lost`). Reads fall back to this
 * instance's own figures, flagged `singleInstance`.
 */
import { hasCode } from '../errors.js';
import type { Logger } from '../logger.js';
import { anyFailure, type FallbackOptions, withFallback } from '../redis/fallback.js';
import type { Script } from '../redis/script.js';
import { clusterReachable, type LayerView } from '../redis/view.js';
import { MetricsError } from './errors.js';
import {
  add,
  type Deltas,
  MINUTE_MS,
  type RequestsDocument,
  requestsDocument,
  type Sourced,
} from './requests.js';
import { metricsErrors, metricsHIncr } from './scripts.js';
import { RequestWindow, type WindowFigures } from './window.js';

export interface MetricsOptions {
  instanceId: string;
  serverName: string;
  errorsKept: number;
  requestsRetentionMinutes: number;
  maxRoutesPerMinute: number;
  logger: Logger;
}

export interface RequestRecord {
  method: string;
  /** The route pattern (`/users/:id`), not the URL, so that counts stay bounded. */
  route: string;
  status: number;
  durationMs: number;
}

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

export interface CountersDocument extends Sourced {
  counters: Record<string, number>;
}

export interface HttpFigures extends WindowFigures {
  /** Open HTTP connections (sockets), including idle keep-alive ones. */
  connections: number;
  inFlight: number;
  /** Since this instance started. */
  requests: number;
  errors: number;
}

const COUNTER_NAME = /^[A-Za-z0-9_.:/-]{1,100}$/;
const OTHER_ROUTE = '(other)';
const STACK_CHARS = 2000;

export class Metrics {
  readonly #layer: LayerView;
  readonly #o: MetricsOptions;
  #pendingCounters: Deltas = new Map();
  readonly #localCounters: Deltas = new Map();
  #pendingRequests = new Map<number, Deltas>();
  readonly #localRequests = new Map<number, Deltas>();
  #pendingErrors: ErrorRecord[] = [];
  readonly #localErrors: ErrorRecord[] = [];
  readonly #window = new RequestWindow();
  readonly #http = { connections: 0, inFlight: 0, requests: 0, errors: 0 };
  #flushing: Promise<void> | undefined;
  #lost = 0;

  constructor(layer: LayerView, options: MetricsOptions) {
    this.#layer = layer;
    this.#o = options;
  }

  /** Adds `by` (an integer, default 1, may be negative) to the cluster-wide counter `name`. */
  increment(name: string, by = 1): void {
    if (typeof name !== 'string' || !COUNTER_NAME.test(name)) {
      throw new MetricsError(
        'METRICS_INVALID_NAME',
        `Counter name ${JSON.stringify(name)}: use 1-100 of A-Z a-z 0-9 _ . : / -`,
      );
    }
    if (!Number.isSafeInteger(by)) {
      throw new MetricsError(
        'METRICS_INVALID_ARGUMENT',
        `Counter ${name}: the increment must be an integer, got ${by}`,
      );
    }
    add(this.#pendingCounters, name, by);
    add(this.#localCounters, name, by);
  }

  connectionOpened(): void {
    this.#http.connections++;
  }

  connectionClosed(): void {
    this.#http.connections--;
  }

  requestStarted(): void {
    this.#http.inFlight++;
  }

  requestFinished(record: RequestRecord): void {
    this.#http.inFlight--;
    this.#http.requests++;
    const serverError = record.status >= 500;
    if (serverError) this.#http.errors++;
    this.#window.record(record.durationMs, serverError);
    const minute = Math.floor(Date.now() / MINUTE_MS);
    let local = this.#localRequests.get(minute);
    if (local === undefined) {
      local = new Map();
      this.#localRequests.set(minute, local);
      this.#prune(minute);
    }
    let field = `${record.method} ${record.route} ${record.status}`;
    if (!local.has(field) && local.size >= this.#o.maxRoutesPerMinute) {
      field = `${record.method} ${OTHER_ROUTE} ${record.status}`;
    }
    add(local, field, 1);
    let pending = this.#pendingRequests.get(minute);
    if (pending === undefined) {
      pending = new Map();
      this.#pendingRequests.set(minute, pending);
    }
    add(pending, field, 1);
  }

  /** Records a server error with its request context, for /api/1/metrics/errors/recent. */
  recordError(error: unknown, context: ErrorContext = {}): void {
    const e = error instanceof Error ? error : new Error(String(error));
    const code = (e as { code?: unknown }).code;
    const record: ErrorRecord = {
      message: e.message.slice(0, 1000),
      code: typeof code === 'string' ? code : null,
      statusCode: context.statusCode ?? null,
      stack: e.stack === undefined ? null : e.stack.slice(0, STACK_CHARS),
      instanceId: this.#o.instanceId,
      serverName: this.#o.serverName,
      time: new Date().toISOString(),
      context: {
        method: context.method ?? null,
        url: context.url === undefined ? null : (context.url.split('?')[0] ?? '').slice(0, 500),
        route: context.route ?? null,
        requestId: context.requestId ?? null,
        userId: context.userId ?? null,
      },
    };
    this.#localErrors.unshift(record);
    this.#localErrors.length = Math.min(this.#localErrors.length, this.#o.errorsKept);
    this.#pendingErrors.push(record);
    if (this.#pendingErrors.length > this.#o.errorsKept) this.#pendingErrors.shift();
  }

  /** This interval's HTTP figures; starts the next interval (called once per report). */
  takeHttp(): HttpFigures {
    return { ...this.#http, ...this.#window.take() };
  }

  /** This instance's counters since it started. */
  localCounters(): Record<string, number> {
    return Object.fromEntries(this.#localCounters);
  }

  stats(): { lost: number; pending: number } {
    let pending = this.#pendingCounters.size + this.#pendingErrors.length;
    for (const m of this.#pendingRequests.values()) pending += m.size;
    return { lost: this.#lost, pending };
  }

  /** Sends pending deltas and errors to the Store (one at a time; concurrent calls share it). */
  flush(): Promise<void> {
    this.#flushing ??= this.#flushOnce().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  async requests(minutes = 5): Promise<RequestsDocument> {
    const max = this.#o.requestsRetentionMinutes;
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > max) {
      throw new MetricsError(
        'METRICS_INVALID_ARGUMENT',
        `minutes must be a whole number from 1 to ${max}, got ${minutes}`,
      );
    }
    const current = Math.floor(Date.now() / MINUTE_MS);
    const list = Array.from({ length: minutes }, (_, i) => current - minutes + 1 + i);
    return withFallback(
      this.#layer,
      async () => {
        const stored = await Promise.all(
          list.map((m) => this.#layer.store.hGetAll(this.#layer.keys.instances.requests(m))),
        );
        const hashes = stored.map((hash, i) => {
          const merged = new Map(Object.entries(hash).map(([f, v]) => [f, Number(v)]));
          for (const [f, v] of this.#pendingRequests.get(list[i]!) ?? []) add(merged, f, v);
          return merged;
        });
        return requestsDocument(list, hashes, 'cluster');
      },
      () => {
        const hashes = list.map((m) => this.#localRequests.get(m) ?? new Map<string, number>());
        return requestsDocument(list, hashes, 'local');
      },
      this.#fallback('request counts'),
    );
  }

  async recentErrors(count = 10): Promise<ErrorsDocument> {
    const max = this.#o.errorsKept;
    if (!Number.isInteger(count) || count < 1 || count > max) {
      throw new MetricsError(
        'METRICS_INVALID_ARGUMENT',
        `count must be a whole number from 1 to ${max}, got ${count}`,
      );
    }
    return withFallback<ErrorsDocument>(
      this.#layer,
      async () => {
        const stored = await this.#layer.store.lRange(this.#layer.keys.instances.errors(), 0, count - 1);
        const errors = [...[...this.#pendingErrors].reverse(), ...stored.flatMap(parseError)].slice(0, count);
        return { source: 'cluster', singleInstance: false, count: errors.length, errors };
      },
      () => {
        const errors = this.#localErrors.slice(0, count);
        return { source: 'local', singleInstance: true, count: errors.length, errors };
      },
      this.#fallback('recent errors'),
    );
  }

  counters(): Promise<CountersDocument> {
    return withFallback<CountersDocument>(
      this.#layer,
      async () => {
        const stored = await this.#layer.store.hGetAll(this.#layer.keys.instances.counters());
        const merged = new Map(Object.entries(stored).map(([f, v]) => [f, Number(v)]));
        for (const [f, v] of this.#pendingCounters) add(merged, f, v);
        return { source: 'cluster', singleInstance: false, counters: sorted(merged) };
      },
      () => ({ source: 'local', singleInstance: true, counters: sorted(this.#localCounters) }),
      this.#fallback('counters'),
    );
  }

  /** Reports answer with this instance's figures on any failure, logged at debug level. */
  #fallback(what: string): FallbackOptions {
    return {
      when: anyFailure,
      onFallback: (error) =>
        this.#o.logger.debug({ err: error }, `${what} unavailable; answering with this instance’s`),
    };
  }

  async #flushOnce(): Promise<void> {
    if (!clusterReachable(this.#layer)) return;
    const keys = this.#layer.keys.instances;
    const counters = this.#pendingCounters;
    const requests = this.#pendingRequests;
    const errors = this.#pendingErrors;
    this.#pendingCounters = new Map();
    this.#pendingRequests = new Map();
    this.#pendingErrors = [];
    const now = Date.now();
    const oldest = Math.floor(now / MINUTE_MS) - this.#o.requestsRetentionMinutes;
    const sends: Promise<void>[] = [];
    if (counters.size > 0) {
      sends.push(
        this.#send(metricsHIncr, keys.counters(), [0, ...pairs(counters)], () =>
          merge(this.#pendingCounters, counters),
        ),
      );
    }
    for (const [minute, fields] of requests) {
      if (minute < oldest) continue;
      const ttl = (minute + 1 + this.#o.requestsRetentionMinutes) * MINUTE_MS - now;
      sends.push(
        this.#send(metricsHIncr, keys.requests(minute), [ttl, ...pairs(fields)], () => {
          let pending = this.#pendingRequests.get(minute);
          if (pending === undefined) {
            pending = new Map();
            this.#pendingRequests.set(minute, pending);
          }
          merge(pending, fields);
        }),
      );
    }
    if (errors.length > 0) {
      sends.push(
        this.#send(
          metricsErrors,
          keys.errors(),
          [this.#o.errorsKept, ...errors.map((e) => JSON.stringify(e))],
          () => {
            this.#pendingErrors = [...errors, ...this.#pendingErrors].slice(-this.#o.errorsKept);
          },
        ),
      );
    }
    await Promise.all(sends);
  }

  async #send(script: Script, key: string, args: (string | number)[], restore: () => void): Promise<void> {
    try {
      await this.#layer.store.runScript(script, [key], args);
    } catch (error) {
      if (hasCode(error, 'REDIS_UNAVAILABLE')) {
        restore();
      } else {
        this.#lost++;
        this.#o.logger.warn({ key, err: error }, 'metrics batch may not have been applied; dropped');
      }
    }
  }

  #prune(current: number): void {
    const oldest = current - this.#o.requestsRetentionMinutes;
    for (const minute of this.#localRequests.keys()) if (minute < oldest) this.#localRequests.delete(minute);
    for (const minute of this.#pendingRequests.keys())
      if (minute < oldest) this.#pendingRequests.delete(minute);
  }
}

function merge(into: Deltas, from: Deltas): void {
  for (const [key, by] of from) add(into, key, by);
}

function pairs(deltas: Deltas): (string | number)[] {
  const out: (string | number)[] = [];
  for (const [field, delta] of deltas) if (delta !== 0) out.push(field, delta);
  return out;
}

function sorted(map: Deltas): Record<string, number> {
  return Object.fromEntries([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function parseError(raw: string): ErrorRecord[] {
  try {
    return [JSON.parse(raw) as ErrorRecord];
  } catch {
    return [];
  }
}
