/**
 * What a finished request costs the metrics, per route: the route pattern is known when the route
 * is registered (Fastify's `onRoute`), so the request hook needs no `request.routeOptions` (a getter
 * that builds an object on every read), and the request-count field of each method and status
 * (`GET /users/:id 200`) is built once, not concatenated per request. The record handed to the
 * Prometheus observer is one object per route, filled in place: observers read it synchronously
 * and keep nothing of it.
 */
import type { RequestRecord } from './requests.js';

export interface RequestSink {
  /** One finished request: its count field (built once per method and status) and its record. */
  finished(field: string, record: RequestRecord): void;
}

export class RouteRecorder {
  readonly route: string;
  readonly #sink: RequestSink;
  /** method → status → field. */
  readonly #fields = new Map<string, Map<number, string>>();
  readonly #record: RequestRecord;

  constructor(route: string, sink: RequestSink) {
    this.route = route;
    this.#sink = sink;
    this.#record = { method: '', route, status: 0, durationMs: 0 };
  }

  finished(method: string, status: number, durationMs: number): void {
    let byStatus = this.#fields.get(method);
    if (byStatus === undefined) {
      byStatus = new Map();
      this.#fields.set(method, byStatus);
    }
    let field = byStatus.get(status);
    if (field === undefined) {
      field = `${method} ${this.route} ${status}`;
      byStatus.set(status, field);
    }
    const record = this.#record;
    record.method = method;
    record.status = status;
    record.durationMs = durationMs;
    this.#sink.finished(field, record);
  }
}
