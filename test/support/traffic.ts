/**
 * Steady traffic for failure tests: `concurrency` loops each calling `op` back to back (with a
 * short pause), recording when every call started and ended and how it finished. Tests then ask
 * how long the slowest call took, and when calls succeeded again after an event. Also: SET traffic
 * over a layer, and pub/sub probes that check a subscription survived a failure.
 */
import type { Store } from '../../src/redis/store.js';
import { waitFor } from './redis-process.js';
import { LoopStalls } from './stalls.js';

export interface CallRecord {
  /** performance.now() when the call was made and when it settled. */
  start: number;
  end: number;
  ok: boolean;
  /** The PlexusError code of a failure (REDIS_TIMEOUT, REDIS_UNAVAILABLE, ...). */
  code?: string;
}

export class Traffic {
  readonly calls: CallRecord[] = [];
  #running = false;
  #loops: Promise<void>[] = [];
  #stalls: LoopStalls | undefined;

  constructor(
    private readonly op: (worker: number, n: number) => Promise<unknown>,
    private readonly concurrency = 10,
    private readonly pauseMs = 5,
  ) {}

  start(): this {
    this.#stalls = new LoopStalls();
    this.#running = true;
    this.#loops = Array.from({ length: this.concurrency }, (_, worker) => this.#loop(worker));
    return this;
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
    this.#stalls?.stop();
  }

  /** The longest stall of this process while the traffic ran, in ms (LoopStalls). */
  stallMs(): number {
    return this.#stalls?.maxMs() ?? 0;
  }

  /** Longest time any call took, in ms (calls started at or after `since`). */
  slowestMs(since = 0): number {
    let slowest = 0;
    for (const call of this.calls)
      if (call.start >= since) slowest = Math.max(slowest, call.end - call.start);
    return slowest;
  }

  /** The first successful call that started at or after `t`. */
  firstSuccessAfter(t: number): CallRecord | undefined {
    let first: CallRecord | undefined;
    for (const call of this.calls) {
      if (call.ok && call.start >= t && (first === undefined || call.end < first.end)) first = call;
    }
    return first;
  }

  /** How many calls that started between `from` and `to` ended with each outcome. */
  outcomes(from = 0, to = Number.POSITIVE_INFINITY): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const call of this.calls) {
      if (call.start < from || call.start > to) continue;
      const key = call.ok ? 'ok' : (call.code ?? 'error');
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }

  /** Resolves once a call that started at or after now has succeeded (or after `timeoutMs`). */
  async waitForSuccess(timeoutMs = 15_000): Promise<CallRecord> {
    const since = performance.now();
    const deadline = since + timeoutMs;
    while (performance.now() < deadline) {
      const call = this.firstSuccessAfter(since);
      if (call !== undefined) return call;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no call succeeded within ${timeoutMs} ms: ${JSON.stringify(this.outcomes(since))}`);
  }

  async #loop(worker: number): Promise<void> {
    for (let n = 0; this.#running; n++) {
      const start = performance.now();
      try {
        await this.op(worker, n);
        this.calls.push({ start, end: performance.now(), ok: true });
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        this.calls.push({
          start,
          end: performance.now(),
          ok: false,
          code: typeof code === 'string' ? code : String(error),
        });
      }
      await new Promise((resolve) => setTimeout(resolve, this.pauseMs));
    }
  }
}

/** Started traffic of SETs through `layer.store`: worker `w` writes its call number to `keyOf(w)`. */
export function writeTraffic(
  layer: { readonly store: Pick<Store, 'set'> },
  keyOf: (worker: number) => string,
  concurrency = 10,
): Traffic {
  return new Traffic((worker, n) => layer.store.set(keyOf(worker), String(n)), concurrency).start();
}

/** Subscribes to `channel`; the returned array collects every message received. */
export async function collectMessages(store: Pick<Store, 'subscribe'>, channel: string): Promise<string[]> {
  const received: string[] = [];
  await store.subscribe(channel, (message) => received.push(message));
  return received;
}

/** Publishes `message` on `channel` until it shows up in `received` (waitFor's timeout). */
export async function publishUntilReceived(
  what: string,
  store: Pick<Store, 'publish'>,
  channel: string,
  message: string,
  received: string[],
): Promise<void> {
  await waitFor(what, async () => {
    await store.publish(channel, message);
    return received.includes(message);
  });
}
