/**
 * `Metrics`: what this instance counts, and the cluster-wide views built from every instance.
 *
 * Recorded in process, flushed to the Store once per report interval (by the instance registry),
 * so a request costs a few map updates and never a Redis call: custom counters (counters.ts),
 * request counts per minute (requests.ts), server errors (recent-errors.ts), each summed or
 * appended over the cluster with one script call per key; and this instance's HTTP gauges for its
 * report (gauges.ts).
 *
 * Outages. Figures not yet flushed stay pending while Redis is unreachable and are flushed when it
 * is back (minutes older than the retention are dropped); a batch that may have been applied is
 * dropped rather than counted twice (cluster.ts, counted in `stats().lost`). Reads fall back to
 * this instance's own figures, flagged `singleInstance`.
 */
import type { Logger } from '../logger.js';
import { clusterReachable, type LayerView } from '../redis/view.js';
import { Batches } from './cluster.js';
import { Counters, type CountersDocument } from './counters.js';
import { type HttpFigures, HttpGauges, type HttpTotals } from './gauges.js';
import { type ErrorContext, type ErrorsDocument, RecentErrors } from './recent-errors.js';
import { RequestCounts, type RequestRecord } from './requests.js';
import type { RequestsDocument } from './requests-document.js';
import { type RequestSink, RouteRecorder } from './route-recorder.js';

export interface MetricsOptions {
  instanceId: string;
  serverName: string;
  errorsKept: number;
  requestsRetentionMinutes: number;
  maxRoutesPerMinute: number;
  logger: Logger;
}

export class Metrics {
  readonly #layer: LayerView;
  readonly #batches: Batches;
  readonly #counters: Counters;
  readonly #requests: RequestCounts;
  readonly #errors: RecentErrors;
  readonly #http = new HttpGauges();
  #observer: ((record: RequestRecord) => void) | undefined;
  #flushing: Promise<void> | undefined;

  constructor(layer: LayerView, options: MetricsOptions) {
    const { logger } = options;
    this.#layer = layer;
    this.#batches = new Batches(layer, logger);
    this.#counters = new Counters(layer, logger);
    this.#requests = new RequestCounts(layer, {
      retentionMinutes: options.requestsRetentionMinutes,
      maxRoutesPerMinute: options.maxRoutesPerMinute,
      logger,
    });
    this.#errors = new RecentErrors(layer, {
      instanceId: options.instanceId,
      serverName: options.serverName,
      kept: options.errorsKept,
      logger,
    });
  }

  /** Adds `by` (an integer, default 1, may be negative) to the cluster-wide counter `name`. */
  increment(name: string, by = 1): void {
    this.#counters.increment(name, by);
  }

  connectionOpened(): void {
    this.#http.connectionOpened();
  }

  connectionClosed(): void {
    this.#http.connectionClosed();
  }

  requestStarted(): void {
    this.#http.requestStarted();
  }

  requestFinished(record: RequestRecord): void {
    this.#http.requestFinished(record.durationMs, record.status >= 500);
    this.#requests.record(record);
    this.#observer?.(record);
  }

  /**
   * The recorder of one route pattern, made when the route is registered: its `finished()` is
   * `requestFinished` without the per-request allocations (src/metrics/route-recorder.ts).
   */
  route(pattern: string): RouteRecorder {
    return new RouteRecorder(pattern, this.#sink);
  }

  readonly #sink: RequestSink = {
    finished: (field, record) => {
      this.#http.requestFinished(record.durationMs, record.status >= 500);
      this.#requests.recordField(field, record);
      this.#observer?.(record);
    },
  };

  /**
   * Also hands every finished request to `observer` (the Prometheus exposition's histograms), with
   * the record the request hook made: no second hook, no allocation. One observer at a time;
   * returns the function that removes it.
   */
  observeRequests(observer: (record: RequestRecord) => void): () => void {
    this.#observer = observer;
    return () => {
      if (this.#observer === observer) this.#observer = undefined;
    };
  }

  /** Open connections, requests in flight and totals since start, without starting a new interval. */
  httpTotals(): HttpTotals {
    return this.#http.totals();
  }

  /** Records a server error with its request context, for /api/1/metrics/errors/recent. */
  recordError(error: unknown, context: ErrorContext = {}): void {
    this.#errors.record(error, context);
  }

  /** This interval's HTTP figures; starts the next interval (called once per report). */
  takeHttp(): HttpFigures {
    return this.#http.take();
  }

  /** This instance's counters since it started. */
  localCounters(): Record<string, number> {
    return this.#counters.local();
  }

  stats(): { lost: number; pending: number } {
    const pending = this.#counters.pending + this.#errors.pending + this.#requests.pending;
    return { lost: this.#batches.lost, pending };
  }

  /** Sends pending deltas and errors to the Store (one at a time; concurrent calls share it). */
  flush(): Promise<void> {
    this.#flushing ??= this.#flushOnce().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  requests(minutes = 5): Promise<RequestsDocument> {
    return this.#requests.read(minutes);
  }

  recentErrors(count = 10): Promise<ErrorsDocument> {
    return this.#errors.read(count);
  }

  counters(): Promise<CountersDocument> {
    return this.#counters.read();
  }

  async #flushOnce(): Promise<void> {
    if (!clusterReachable(this.#layer)) return;
    await Promise.all([
      this.#counters.flush(this.#batches),
      this.#requests.flush(this.#batches),
      this.#errors.flush(this.#batches),
    ]);
  }
}
