/**
 * `OutageCopies`: the sessions this instance served lately, kept to go on serving them while Redis
 * (or the session's Cluster shard) cannot be reached — so a user who was just served here does not
 * get 503 because Redis blinked (SESSION_OUTAGE_GRACE; 0 turns it off).
 *
 * A copy is remembered from every read of the session from Redis and served only while Redis
 * cannot be asked, for at most `graceMs` after that read (and never past the session's expiry).
 * The trade-off: during an outage a session ended on another instance (which this one cannot hear
 * about) may still be served here, for at most the grace; a session ended here is dropped at
 * once, and a logout-all anywhere ends it on every read once Redis is back, through the user's
 * logout epoch (epochs.ts), which is checked on every read of these copies too. The copy is
 * served read-only: changes made to it during the outage are not saved.
 */
import type { SessionRecord } from './record.js';

interface Entry {
  record: SessionRecord;
  readAt: number;
}

export interface OutageCopiesOptions {
  graceMs: number;
  maxEntries: number;
  now: () => number;
}

export class OutageCopies {
  readonly #entries = new Map<string, Entry>();
  readonly #options: OutageCopiesOptions;
  #served = 0;

  constructor(options: OutageCopiesOptions) {
    this.#options = options;
  }

  /** A read from Redis: keeps (or refreshes) the copy, or forgets it when the session is gone. */
  remember(id: string, record: SessionRecord | null): void {
    this.#entries.delete(id);
    if (record === null) return;
    const { previousSeenAt: _, ...kept } = record;
    this.#entries.set(id, { record: kept, readAt: this.#options.now() });
    while (this.#entries.size > this.#options.maxEntries) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
  }

  /** The copy to serve while Redis cannot be asked, if one is young enough. */
  get(id: string): SessionRecord | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    const now = this.#options.now();
    if (now - entry.readAt > this.#options.graceMs || now >= entry.record.expiresAt) {
      this.#entries.delete(id);
      return undefined;
    }
    this.#served++;
    return structuredClone(entry.record);
  }

  forget(ids: readonly string[]): void {
    for (const id of ids) this.#entries.delete(id);
  }

  /** Drops the user's copies but `exceptId`, which survives the epoch `epoch`. */
  forgetUser(userId: string, exceptId?: string, epoch?: number): void {
    for (const [id, entry] of this.#entries) {
      if (entry.record.user?.id !== userId) continue;
      if (id === exceptId && epoch !== undefined) entry.record.validFrom = epoch;
      else this.#entries.delete(id);
    }
  }

  /** Drops copies of sessions named by handle (an invalidation from another instance). */
  forgetWhere(match: (id: string) => boolean): void {
    for (const id of this.#entries.keys()) if (match(id)) this.#entries.delete(id);
  }

  stats(): { entries: number; served: number; graceMs: number } {
    return { entries: this.#entries.size, served: this.#served, graceMs: this.#options.graceMs };
  }
}
