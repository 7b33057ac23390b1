/**
 * Request counts per minute, by method, route pattern and status: counted in process, summed over
 * the cluster into one hash per minute, `<prefix>:metrics:requests:<epoch minute>`, kept
 * METRICS_REQUESTS_RETENTION_MINUTES. Past METRICS_MAX_ROUTES_PER_MINUTE distinct fields in a
 * minute, new routes count as `(other)`, so a scan of random URLs cannot grow the hash.
 */
import type { Logger } from '../logger.js';
import { withFallback } from '../redis/fallback.js';
import type { LayerView } from '../redis/view.js';
import { type Batches, localFallback } from './cluster.js';
import { add, type Deltas, merge, pairs } from './deltas.js';
import { checkQueryBound } from './errors.js';
import { MINUTE_MS, type RequestsDocument, requestsDocument } from './requests-document.js';
import { metricsHIncr } from './scripts.js';

export interface RequestRecord {
  method: string;
  /** The route pattern (`/users/:id`), not the URL, so that counts stay bounded. */
  route: string;
  status: number;
  durationMs: number;
}

export interface RequestCountsOptions {
  retentionMinutes: number;
  maxRoutesPerMinute: number;
  logger: Logger;
}

const OTHER_ROUTE = '(other)';

export class RequestCounts {
  #pending = new Map<number, Deltas>();
  readonly #local = new Map<number, Deltas>();

  constructor(
    private readonly layer: LayerView,
    private readonly o: RequestCountsOptions,
  ) {}

  record(record: RequestRecord): void {
    this.recordField(`${record.method} ${record.route} ${record.status}`, record);
  }

  /** `field` is `<method> <route> <status>` of `record`, built once per route (RouteRecorder). */
  recordField(field: string, record: RequestRecord): void {
    const minute = Math.floor(Date.now() / MINUTE_MS);
    let local = this.#local.get(minute);
    if (local === undefined) {
      local = new Map();
      this.#local.set(minute, local);
      this.#prune(minute);
    }
    if (!local.has(field) && local.size >= this.o.maxRoutesPerMinute) {
      field = `${record.method} ${OTHER_ROUTE} ${record.status}`;
    }
    add(local, field, 1);
    add(this.#pendingOf(minute), field, 1);
  }

  /** Fields not yet flushed. */
  get pending(): number {
    let pending = 0;
    for (const m of this.#pending.values()) pending += m.size;
    return pending;
  }

  /** One batch per minute still within the retention; older minutes are dropped. */
  flush(batches: Batches): Promise<void> {
    const requests = this.#pending;
    this.#pending = new Map();
    const now = Date.now();
    const oldest = Math.floor(now / MINUTE_MS) - this.o.retentionMinutes;
    const sends: Promise<void>[] = [];
    for (const [minute, fields] of requests) {
      if (minute < oldest) continue;
      const ttl = (minute + 1 + this.o.retentionMinutes) * MINUTE_MS - now;
      sends.push(
        batches.send(metricsHIncr, this.layer.keys.instances.requests(minute), [ttl, ...pairs(fields)], () =>
          merge(this.#pendingOf(minute), fields),
        ),
      );
    }
    return Promise.all(sends).then(() => undefined);
  }

  async read(minutes: number): Promise<RequestsDocument> {
    checkQueryBound('minutes', minutes, this.o.retentionMinutes);
    const current = Math.floor(Date.now() / MINUTE_MS);
    const list = Array.from({ length: minutes }, (_, i) => current - minutes + 1 + i);
    return withFallback(
      this.layer,
      async () => {
        const stored = await Promise.all(
          list.map((m) => this.layer.store.hGetAll(this.layer.keys.instances.requests(m))),
        );
        const hashes = stored.map((hash, i) => {
          const merged = new Map(Object.entries(hash).map(([f, v]) => [f, Number(v)]));
          for (const [f, v] of this.#pending.get(list[i]!) ?? []) add(merged, f, v);
          return merged;
        });
        return requestsDocument(list, hashes, 'cluster');
      },
      () => {
        const hashes = list.map((m) => this.#local.get(m) ?? new Map<string, number>());
        return requestsDocument(list, hashes, 'local');
      },
      localFallback(this.o.logger, 'request counts'),
    );
  }

  #pendingOf(minute: number): Deltas {
    let pending = this.#pending.get(minute);
    if (pending === undefined) {
      pending = new Map();
      this.#pending.set(minute, pending);
    }
    return pending;
  }

  #prune(current: number): void {
    const oldest = current - this.o.retentionMinutes;
    for (const minute of this.#local.keys()) if (minute < oldest) this.#local.delete(minute);
    for (const minute of this.#pending.keys()) if (minute < oldest) this.#pending.delete(minute);
  }
}
