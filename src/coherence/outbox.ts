/**
 * Invalidations that could not be published (Redis unreachable or the publish failed), kept to be
 * sent again until they are moot: each carries the time after which no copy made before its change
 * can still be served anywhere (the copies' age limit), so dropping it then loses nothing.
 */
export class Outbox<Op extends object> {
  /** When each operation stops being worth sending. */
  readonly #until = new WeakMap<Op, number>();
  #unsent: Op[] = [];

  get size(): number {
    return this.#unsent.length;
  }

  /** Records when `op`, about to be published, becomes moot. */
  note(op: Op, until: number): void {
    this.#until.set(op, until);
  }

  /** `into` now also carries `from` (merged into one message): it stays due as long as either. */
  merged(into: Op, from: Op): void {
    this.#until.set(into, Math.max(this.#until.get(into) ?? 0, this.#until.get(from) ?? 0));
  }

  /** Keeps operations handed back unsent, unless already moot. */
  keep(ops: readonly Op[], now: number): void {
    for (const op of ops) if ((this.#until.get(op) ?? 0) > now) this.#unsent.push(op);
  }

  /** The operations still worth sending; the outbox is empty after. */
  take(now: number): Op[] {
    const due = this.#unsent.filter((op) => (this.#until.get(op) ?? 0) > now);
    this.#unsent = [];
    return due;
  }
}
