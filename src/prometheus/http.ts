/**
 * HTTP request counts and latency per method, route pattern and status, as a Prometheus histogram
 * (`plexus_http_request_duration_seconds`; its `_count` is the request counter).
 *
 * Why not prom-client's Histogram: its `observe()` validates and hashes the label set on every
 * call (about 0.5 µs and a few allocations). Here a request costs three Map lookups on values the
 * request hook already has and one array increment; the cumulative buckets are built at scrape
 * time. Series are capped (METRICS_MAX_ROUTES_PER_MINUTE): past the cap, new combinations count
 * under route `(other)`, so a scan of odd methods and statuses cannot grow the exposition.
 */
import type { RequestRecord } from '../metrics/index.js';
import type { Family, Sample } from './family.js';

/** Upper bounds in seconds: prom-client's defaults with 1 ms and 2.5 ms added for fast APIs. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BOUNDS_MS = LATENCY_BUCKETS.map((s) => s * 1000);
const OTHER_ROUTE = '(other)';

class Series {
  /** Per bucket, not cumulative; the last is +Inf. */
  readonly counts = new Float64Array(LATENCY_BUCKETS.length + 1);
  sumMs = 0;
}

export class RouteHistograms {
  /** route → method → status → series. */
  readonly #routes = new Map<string, Map<string, Map<number, Series>>>();
  #size = 0;

  constructor(private readonly maxSeries: number) {}

  readonly observe = (record: RequestRecord): void => {
    const series = this.#series(record.route, record.method, record.status);
    const ms = record.durationMs;
    let i = 0;
    while (i < BOUNDS_MS.length && ms > BOUNDS_MS[i]!) i++;
    series.counts[i]!++;
    series.sumMs += ms;
  };

  family(): Family {
    const values: Sample[] = [];
    for (const [route, methods] of this.#routes) {
      for (const [method, statuses] of methods) {
        for (const [status, series] of statuses) {
          const labels = { method, route, status_code: status };
          let cumulative = 0;
          for (let i = 0; i <= LATENCY_BUCKETS.length; i++) {
            cumulative += series.counts[i]!;
            const le = i < LATENCY_BUCKETS.length ? String(LATENCY_BUCKETS[i]) : '+Inf';
            values.push({
              metricName: 'plexus_http_request_duration_seconds_bucket',
              labels: { ...labels, le },
              value: cumulative,
            });
          }
          values.push(
            { metricName: 'plexus_http_request_duration_seconds_sum', labels, value: series.sumMs / 1000 },
            { metricName: 'plexus_http_request_duration_seconds_count', labels, value: cumulative },
          );
        }
      }
    }
    return {
      name: 'plexus_http_request_duration_seconds',
      help: 'HTTP requests by method, route pattern and status: latency from request to response, and count (_count).',
      type: 'histogram',
      values,
    };
  }

  #series(route: string, method: string, status: number): Series {
    let methods = this.#routes.get(route);
    let statuses = methods?.get(method);
    const found = statuses?.get(status);
    if (found !== undefined) return found;
    if (this.#size >= this.maxSeries && route !== OTHER_ROUTE)
      return this.#series(OTHER_ROUTE, method, status);
    if (methods === undefined) {
      methods = new Map();
      this.#routes.set(route, methods);
    }
    if (statuses === undefined) {
      statuses = new Map();
      methods.set(method, statuses);
    }
    const series = new Series();
    statuses.set(status, series);
    this.#size++;
    return series;
  }
}
