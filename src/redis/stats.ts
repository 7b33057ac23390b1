/**
 * Operation statistics of the connection layer: totals since start, and latency (average and p99)
 * over the last one to two minutes, overall and per node (Cluster reports each master).
 *
 * Latencies go into a log-scaled histogram (four buckets per power of two, about 19% wide), so
 * recording is an array increment and p99 is read without keeping samples.
 */

const BUCKETS = 128;
const ROTATE_MS = 60_000;

class Histogram {
  readonly counts = new Uint32Array(BUCKETS);
  total = 0;
  sumMs = 0;

  record(index: number, ms: number): void {
    this.counts[index]!++;
    this.total++;
    this.sumMs += ms;
  }

  static percentile(histograms: Histogram[], p: number): number {
    const total = histograms.reduce((n, h) => n + h.total, 0);
    if (total === 0) return 0;
    const rank = Math.ceil((p / 100) * total);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      for (const h of histograms) seen += h.counts[i]!;
      // Upper edge of the bucket, in milliseconds.
      if (seen >= rank) return 2 ** ((i + 1) / 4) / 1000;
    }
    return 0;
  }
}

/** Histogram bucket of a latency: four per power of two of microseconds. */
function bucketOf(ms: number): number {
  const us = ms * 1000;
  return us <= 1 ? 0 : Math.min(BUCKETS - 1, Math.floor(Math.log2(us) * 4));
}

class Recorder {
  ops = 0;
  failures = 0;
  #current = new Histogram();
  #previous = new Histogram();
  #rotatedAt = performance.now();

  record(index: number, ms: number, ok: boolean, now: number): void {
    this.ops++;
    if (!ok) this.failures++;
    if (now - this.#rotatedAt >= ROTATE_MS) {
      this.#previous = now - this.#rotatedAt >= 2 * ROTATE_MS ? new Histogram() : this.#current;
      this.#current = new Histogram();
      this.#rotatedAt = now;
    }
    this.#current.record(index, ms);
  }

  latency(): { averageMs: number; p99Ms: number } {
    const windows = [this.#current, this.#previous];
    const count = windows.reduce((n, h) => n + h.total, 0);
    const sum = windows.reduce((n, h) => n + h.sumMs, 0);
    return {
      averageMs: count === 0 ? 0 : round(sum / count),
      p99Ms: round(Histogram.percentile(windows, 99)),
    };
  }
}

export interface OperationStats {
  /** Commands that reached Redis or were refused by the breaker, since start. */
  total: number;
  successful: number;
  failed: number;
  /** Of `failed`: commands that timed out. */
  timeouts: number;
  /** Of `failed`: calls refused without trying because the breaker was open. */
  rejected: number;
  /** successful / total, 1 when there were none. */
  successRate: number;
  averageLatencyMs: number;
  p99LatencyMs: number;
}

export interface NodeStats {
  total: number;
  failed: number;
  averageLatencyMs: number;
  p99LatencyMs: number;
}

export class Stats {
  readonly #all = new Recorder();
  readonly #nodes = new Map<string, Recorder>();
  /** The last node recorded: single node and Sentinel always hit the same one. */
  #lastNode = '';
  #lastRecorder: Recorder | undefined;
  #timeouts = 0;
  #rejected = 0;

  /** `now` (performance.now()) saves the hot path a clock reading when the caller has one. */
  success(ms: number, node: string, now = performance.now()): void {
    const index = bucketOf(ms);
    this.#all.record(index, ms, true, now);
    this.#node(node).record(index, ms, true, now);
  }

  failure(ms: number, node: string, timedOut: boolean, now = performance.now()): void {
    if (timedOut) this.#timeouts++;
    const index = bucketOf(ms);
    this.#all.record(index, ms, false, now);
    this.#node(node).record(index, ms, false, now);
  }

  rejected(): void {
    this.#rejected++;
  }

  snapshot(): OperationStats {
    const total = this.#all.ops + this.#rejected;
    const failed = this.#all.failures + this.#rejected;
    const latency = this.#all.latency();
    return {
      total,
      successful: total - failed,
      failed,
      timeouts: this.#timeouts,
      rejected: this.#rejected,
      successRate: total === 0 ? 1 : round((total - failed) / total),
      averageLatencyMs: latency.averageMs,
      p99LatencyMs: latency.p99Ms,
    };
  }

  nodes(): Record<string, NodeStats> {
    const result: Record<string, NodeStats> = {};
    for (const [address, recorder] of this.#nodes) {
      const latency = recorder.latency();
      result[address] = {
        total: recorder.ops,
        failed: recorder.failures,
        averageLatencyMs: latency.averageMs,
        p99LatencyMs: latency.p99Ms,
      };
    }
    return result;
  }

  #node(address: string): Recorder {
    if (address === this.#lastNode && this.#lastRecorder !== undefined) return this.#lastRecorder;
    let recorder = this.#nodes.get(address);
    if (recorder === undefined) {
      recorder = new Recorder();
      this.#nodes.set(address, recorder);
    }
    this.#lastNode = address;
    this.#lastRecorder = recorder;
    return recorder;
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
