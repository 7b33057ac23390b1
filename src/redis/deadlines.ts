/**
 * Command timeouts without a timer per command.
 *
 * node-redis's own per-command timeout creates an AbortSignal.timeout() for every command, which
 * costs about two thirds of its throughput. Every Plexus command has the same timeout, so
 * deadlines arrive in the order commands were sent: one FIFO queue and one interval timer that
 * expires the head of the queue are enough. The timer ticks every `resolution` ms and only while
 * commands are pending; deadlines are set `resolution` early so that no caller waits longer than
 * the configured timeout.
 */

export interface Deadline {
  /** Set by the owner when the command settled; the queue then skips the entry. */
  settled: boolean;
}

interface Entry extends Deadline {
  at: number;
  onExpire: () => void;
}

export class DeadlineQueue {
  readonly timeoutMs: number;
  readonly #resolution: number;
  #queue: Entry[] = [];
  #head = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
    this.#resolution = Math.max(2, Math.min(25, Math.floor(timeoutMs / 10)));
  }

  /** Registers a pending command; `onExpire` runs once if it is still unsettled at its deadline. */
  track(onExpire: () => void): Deadline {
    const entry: Entry = {
      settled: false,
      at: performance.now() + this.timeoutMs - this.#resolution,
      onExpire,
    };
    this.#queue.push(entry);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#expire(), this.#resolution);
      this.#timer.unref();
    }
    return entry;
  }

  get pending(): number {
    return this.#queue.length - this.#head;
  }

  /** Expires everything still pending (used at shutdown). */
  expireAll(): void {
    this.#expire(Number.POSITIVE_INFINITY);
  }

  #expire(now = performance.now()): void {
    const queue = this.#queue;
    while (this.#head < queue.length) {
      const entry = queue[this.#head]!;
      if (!entry.settled) {
        if (entry.at > now) break;
        entry.settled = true;
        entry.onExpire();
      }
      this.#head++;
    }
    if (this.#head === queue.length) {
      this.#queue = [];
      this.#head = 0;
      clearInterval(this.#timer);
      this.#timer = undefined;
    } else if (this.#head > 4096 && this.#head * 2 > queue.length) {
      this.#queue = queue.slice(this.#head);
      this.#head = 0;
    }
  }
}
