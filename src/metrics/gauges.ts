/**
 * This instance's HTTP gauges for its report: open connections, requests in flight, totals since
 * start, and the report interval's rates and latency (window.ts).
 */
import { RequestWindow, type WindowFigures } from './window.js';

export interface HttpTotals {
  /** Open HTTP connections (sockets), including idle keep-alive ones. */
  connections: number;
  inFlight: number;
  /** Since this instance started. */
  requests: number;
  errors: number;
}

export interface HttpFigures extends HttpTotals, WindowFigures {}

export class HttpGauges {
  readonly #window = new RequestWindow();
  readonly #counts = { connections: 0, inFlight: 0, requests: 0, errors: 0 };

  connectionOpened(): void {
    this.#counts.connections++;
  }

  connectionClosed(): void {
    this.#counts.connections--;
  }

  requestStarted(): void {
    this.#counts.inFlight++;
  }

  requestFinished(durationMs: number, serverError: boolean): void {
    this.#counts.inFlight--;
    this.#counts.requests++;
    if (serverError) this.#counts.errors++;
    this.#window.record(durationMs, serverError);
  }

  totals(): HttpTotals {
    return { ...this.#counts };
  }

  /** This interval's figures; starts the next interval. */
  take(): HttpFigures {
    return { ...this.#counts, ...this.#window.take() };
  }
}
