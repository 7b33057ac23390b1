/**
 * Operation statistics of the connection layer: totals since start, and latency (average and p99)
 * over the last one to two minutes, overall and per node (Cluster reports each master).
 *
 * Latencies go into a histogram with four linear buckets per power of two of microseconds (at
 * most 25% wide), so recording is a few integer operations and an array increment, and p99 is
 * read without keeping samples. Each call is recorded once, in its node's recorder; the overall
 * figures are merged from the nodes' when asked for (rarely), not kept twice on the hot path.
 */

/** 32 powers of two (1 µs to ~71 minutes) times four sub-buckets. */
const BUCKETS = 128;
const ROTATE_MS = 60_000;

/** Histogram bucket of a latency: the power of two of its microseconds, and which quarter of it. */
function bucketOf(ms: number): number {
  const us = Math.min(0xffffffff, ms * 1000) >>> 0;
  if (us < 4) return us; // 0–3 µs: one bucket each
  const exponent = 31 - Math.clz32(us);
  // The two bits below the leading one: which quarter of [2^e, 2^(e+1)) the value is in.
  return exponent * 4 + ((us >>> (exponent - 2)) & 3);
}

/** Upper edge of a bucket, in milliseconds (p99 is reported as this: never under the truth). */
function upperEdgeMs(index: number): number {
  if (index < 4) return (index + 1) / 1000;
  const exponent = index >> 2;
  return (2 ** exponent * (5 + (index & 3))) / 4 / 1000;
}

class Histogram {
  readonly counts = new Uint32Array(BUCKETS);
  total = 0;
  sumMs = 0;

  static percentile(histograms: Histogram[], p: number): number {
    const total = histograms.reduce((n, h) => n + h.total, 0);
    if (total === 0) return 0;
    const rank = Math.ceil((p / 100) * total);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      for (const h of histograms) seen += h.counts[i]!;
      if (seen >= rank) return upperEdgeMs(i);
    }
    return 0;
  }
}

class Recorder {
  ops = 0;
  failures = 0;
  current = new Histogram();
  previous = new Histogram();
  #rotatedAt = performance.now();

  record(ms: number, ok: boolean, now: number): void {
    this.ops++;
    if (!ok) this.failures++;
    if (now - this.#rotatedAt >= ROTATE_MS) this.rotate(now);
    const histogram = this.current;
    histogram.counts[bucketOf(ms)]!++;
    histogram.total++;
    histogram.sumMs += ms;
  }

  rotate(now: number): void {
    this.previous = now - this.#rotatedAt >= 2 * ROTATE_MS ? new Histogram() : this.current;
    this.current = new Histogram();
    this.#rotatedAt = now;
  }

  /** The histograms of the last one to two minutes (rotating first if they are stale). */
  windows(now: number): Histogram[] {
    if (now - this.#rotatedAt >= ROTATE_MS) this.rotate(now);
    return [this.current, this.previous];
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
  readonly #nodes = new Map<string, Recorder>();
  /** The last node recorded: single node and Sentinel always hit the same one. */
  #lastNode = '';
  #lastRecorder: Recorder | undefined;
  #timeouts = 0;
  #rejected = 0;

  /** `now` (performance.now()) saves the hot path a clock reading when the caller has one. */
  success(ms: number, node: string, now = performance.now()): void {
    this.#node(node).record(ms, true, now);
  }

  failure(ms: number, node: string, timedOut: boolean, now = performance.now()): void {
    if (timedOut) this.#timeouts++;
    this.#node(node).record(ms, false, now);
  }

  rejected(): void {
    this.#rejected++;
  }

  snapshot(): OperationStats {
    let ops = 0;
    let failures = 0;
    const windows: Histogram[] = [];
    const now = performance.now();
    for (const recorder of this.#nodes.values()) {
      ops += recorder.ops;
      failures += recorder.failures;
      windows.push(...recorder.windows(now));
    }
    const total = ops + this.#rejected;
    const failed = failures + this.#rejected;
    return {
      total,
      successful: total - failed,
      failed,
      timeouts: this.#timeouts,
      rejected: this.#rejected,
      successRate: total === 0 ? 1 : round((total - failed) / total),
      ...latency(windows),
    };
  }

  nodes(): Record<string, NodeStats> {
    const result: Record<string, NodeStats> = {};
    const now = performance.now();
    for (const [address, recorder] of this.#nodes) {
      result[address] = { total: recorder.ops, failed: recorder.failures, ...latency(recorder.windows(now)) };
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

function latency(windows: Histogram[]): { averageLatencyMs: number; p99LatencyMs: number } {
  const count = windows.reduce((n, h) => n + h.total, 0);
  const sum = windows.reduce((n, h) => n + h.sumMs, 0);
  return {
    averageLatencyMs: count === 0 ? 0 : round(sum / count),
    p99LatencyMs: round(Histogram.percentile(windows, 99)),
  };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
