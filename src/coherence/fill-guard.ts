/**
 * Keeps a read from Redis from putting an outdated value into an in-process copy (the cache's L1,
 * the sessions' copies; owned by `LocalCopies`, copies.ts).
 *
 * The race: this instance sends GET k; another instance SETs k and publishes the invalidation;
 * the invalidation arrives (on the subscriber connection) before the GET reply (on the command
 * connection) and finds nothing to drop; then the old value from the GET lands in the copy and
 * stays there until its age limit. So every read notes an epoch when it starts, every invalidation
 * of a key (local or remote) advances the epoch and records it for that key, and a read may fill
 * only if nothing touching its key happened meanwhile. Namespace clears, tag deletes and
 * distrusts are recorded as "everything". Records are needed only while reads are in flight, so
 * they are dropped whenever none is.
 */
export class FillGuard {
  #epoch = 0;
  #everything = 0;
  readonly #touched = new Map<string, number>();
  #reads = 0;

  /** Call before the L2 read; pass the result to `end`. */
  begin(): number {
    this.#reads++;
    return this.#epoch;
  }

  /** True if L1 may be filled with what the read returned. Call exactly once per `begin`. */
  end(id: string, started: number): boolean {
    const clean = this.#everything <= started && (this.#touched.get(id) ?? 0) <= started;
    if (--this.#reads === 0) this.#touched.clear();
    return clean;
  }

  touch(id: string): void {
    this.#epoch++;
    if (this.#reads > 0) this.#touched.set(id, this.#epoch);
  }

  touchAll(): void {
    this.#everything = ++this.#epoch;
  }
}
