/**
 * HTTP figures of one report interval: request and server-error counts and a latency histogram
 * (log-scaled, four buckets per power of two, so p99 needs no samples). `take()` returns the
 * interval's rates and starts the next one.
 */
const BUCKETS = 96;

export interface WindowFigures {
  requestsPerSecond: number;
  errorsPerSecond: number;
  latencyAvgMs: number;
  latencyP99Ms: number;
}

export class RequestWindow {
  #counts = new Uint32Array(BUCKETS);
  #requests = 0;
  #errors = 0;
  #sumMs = 0;
  #since = performance.now();

  record(durationMs: number, serverError: boolean): void {
    const us = durationMs * 1000;
    const index = us <= 1 ? 0 : Math.min(BUCKETS - 1, Math.floor(Math.log2(us) * 4));
    this.#counts[index]!++;
    this.#requests++;
    this.#sumMs += durationMs;
    if (serverError) this.#errors++;
  }

  take(): WindowFigures {
    const now = performance.now();
    const seconds = Math.max(0.001, (now - this.#since) / 1000);
    const figures = {
      requestsPerSecond: round(this.#requests / seconds),
      errorsPerSecond: round(this.#errors / seconds),
      latencyAvgMs: this.#requests === 0 ? 0 : round(this.#sumMs / this.#requests),
      latencyP99Ms: this.#percentile(99),
    };
    this.#counts = new Uint32Array(BUCKETS);
    this.#requests = 0;
    this.#errors = 0;
    this.#sumMs = 0;
    this.#since = now;
    return figures;
  }

  #percentile(p: number): number {
    if (this.#requests === 0) return 0;
    const rank = Math.ceil((p / 100) * this.#requests);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return round(2 ** ((i + 1) / 4) / 1000); // the bucket's upper edge, in ms
    }
    return 0;
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
