/**
 * Command timeouts without a timer per command.
 *
 * node-redis's own per-command timeout creates an AbortSignal.timeout() for every command, which
 * costs about two thirds of its throughput. Every Plexus command has the same timeout, so
 * deadlines arrive in the order commands were sent: pending commands form one FIFO list, and one
 * interval timer expires the oldest. The timer ticks every `resolution` ms and only while
 * commands are pending; deadlines are set `resolution` early so that no caller waits longer than
 * the configured timeout.
 *
 * The list is intrusive (the executor's call records carry the links): adding and removing are a
 * few pointer writes, with no allocation and no hashing. A command that settles is unlinked at
 * once, so its record dies young; keeping settled records until the next tick (an earlier design)
 * made them survive into the old generation, and the garbage collector then cost more than
 * everything else the wrapper does.
 */

/** A pending command, as the executor tracks it. The queue owns the three fields below. */
export interface Deadline {
  /** performance.now() after which it expires. */
  at: number;
  prev: Deadline | undefined;
  next: Deadline | undefined;
  /** Called once, if the command is still pending at its deadline. */
  expire(): void;
}

export class DeadlineQueue {
  readonly timeoutMs: number;
  readonly #resolution: number;
  #head: Deadline | undefined;
  #tail: Deadline | undefined;
  #size = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
    this.#resolution = Math.max(2, Math.min(25, Math.floor(timeoutMs / 10)));
  }

  /** Starts the clock of a command sent at `now` (performance.now()). */
  add(entry: Deadline, now: number): void {
    entry.at = now + this.timeoutMs - this.#resolution;
    entry.prev = this.#tail;
    entry.next = undefined;
    if (this.#tail === undefined) this.#head = entry;
    else this.#tail.next = entry;
    this.#tail = entry;
    this.#size++;
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#expire(performance.now()), this.#resolution);
      this.#timer.unref();
    }
  }

  /** Removes a command that settled; false when it had already expired (ignore its reply then). */
  settle(entry: Deadline): boolean {
    // `at` is set to NaN once an entry leaves the list, expired or settled.
    if (Number.isNaN(entry.at)) return false;
    const { prev, next } = entry;
    if (prev === undefined) this.#head = next;
    else prev.next = next;
    if (next === undefined) this.#tail = prev;
    else next.prev = prev;
    entry.prev = entry.next = undefined;
    entry.at = Number.NaN;
    this.#size--;
    return true;
  }

  get pending(): number {
    return this.#size;
  }

  /** Expires everything still pending (used at shutdown). */
  expireAll(): void {
    this.#expire(Number.POSITIVE_INFINITY);
  }

  #expire(now: number): void {
    for (let entry = this.#head; entry !== undefined && entry.at <= now; entry = this.#head) {
      this.settle(entry);
      entry.expire();
    }
    if (this.#size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}
