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
 *
 * A blocked event loop is not a slow Redis. When the loop was busy (a fan-out to thousands of
 * sockets, a long synchronous task), two things go wrong with a plain timer: commands issued during
 * the busy task are only written to the socket at its end, although their clock started when they
 * were issued; and the timer phase runs before the replies waiting in the socket are read. Expiring
 * then would blame Redis for our own lag, and the breaker would declare a healthy Redis down (the
 * realtime hub then delivered locally only). So a tick that comes late by more than a tick gives
 * every command due by then a grace of two ticks from now, enough for the poll phase to read what
 * has arrived and for a command written at the end of the block to be answered; and a tick
 * expires nothing itself: it lets the poll phase run first (`afterPendingIo`). A caller waits at
 * most its timeout or the end of the block, whichever is later, plus the grace; a Redis that really
 * does not answer is found out by the first tick after the grace. The cost is one pass over the commands due, after a block
 * only, never on the hot path.
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
  #checking = false;
  /** performance.now() of the last tick (or of the timer's start). */
  #lastTick = 0;

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
      this.#lastTick = now;
      this.#timer = setInterval(this.#tick, this.#resolution);
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

  readonly #tick = (): void => {
    const now = performance.now();
    const blocked = now - this.#lastTick - this.#resolution;
    this.#lastTick = now;
    if (blocked > this.#resolution) {
      // Deadlines are in sending order, so the ones due within the grace are at the head.
      const floor = now + 2 * this.#resolution;
      for (let entry = this.#head; entry !== undefined && entry.at < floor; entry = entry.next)
        entry.at = floor;
    }
    if (this.#checking) return;
    this.#checking = true;
    afterPendingIo(() => {
      this.#checking = false;
      this.#expire(now);
    });
  };

  #expire(now: number): void {
    for (let entry = this.#head; entry !== undefined && entry.at <= now; entry = this.#head) {
      this.settle(entry);
      entry.expire();
    }
    if (this.#size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}

/**
 * Runs `fn` once the event loop has read the I/O that is ready now. A timer callback runs before
 * the poll phase of its loop iteration, so an answer that arrived while the process was busy is
 * still unread when the timer fires; setImmediate's check phase comes after that poll phase. A
 * timeout decided here is a timeout of the other side, not of this process's event loop.
 */
export function afterPendingIo(fn: () => void): void {
  setImmediate(fn);
}
