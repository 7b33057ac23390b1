/**
 * Durable mode (`sessions.durable: true`): every session also has a copy in the database, written
 * in the background, from which Redis is refilled at startup and whenever Redis comes back, so a
 * Redis restart without persistence loses no session. While Redis is down, a session this process
 * does not hold is read from the database copy.
 *
 * What is written, and when:
 * - created or changed sessions: their current copy (re-read when the batch is written), every
 *   SESSION_DURABLE_FLUSH_MS;
 * - renewals: at most once per eighth of the lifetime per session (the first read in each such
 *   window), so the copy's expiry is never more than an eighth of the lifetime behind;
 * - logouts and logout-alls: at once, before the answer, as tombstones (`ended_at`), which a late
 *   background write can never overwrite. Rows are deleted once their expiry is a lifetime past.
 *
 * A database that is down delays the copy, it never fails a request: failed writes are kept and
 * retried with the next batch, and reported in health.
 */
import { type Logger, silentLogger } from '../logger.js';
import type { SessionRecord } from './record.js';

export interface SessionArchive {
  /** Writes current copies, skipping ended sessions and copies older than the stored one. */
  save(records: readonly SessionRecord[]): Promise<void>;
  /** Marks sessions ended (inserting tombstones for ids never saved). */
  end(ids: readonly string[], at: number): Promise<void>;
  /** Marks every live copy of the user's sessions ended, but `exceptId`. */
  endUser(userId: string, at: number, exceptId?: string): Promise<void>;
  /** A live, unexpired copy. */
  get(id: string, now: number): Promise<SessionRecord | null>;
  /** Live, unexpired copies with ids after `afterId`, in id order. */
  page(now: number, afterId: string, limit: number): Promise<SessionRecord[]>;
  /** Deletes rows (copies and tombstones) whose expiry is before `before`. */
  purge(before: number): Promise<number>;
  /** Raises the user's logout epoch (epochs.ts); never lowers it. */
  raiseEpoch(userId: string, epoch: number): Promise<void>;
  /** Every logout epoch kept. */
  epochs(): Promise<[userId: string, epoch: number][]>;
  /** Deletes epochs older than `before` (no session valid before them can be alive). */
  purgeEpochs(before: number): Promise<void>;
}

export interface DurableHealth {
  /** Sessions waiting to be written. */
  pending: number;
  /** Logouts waiting to be written (the database was unreachable). */
  pendingEnds: number;
  lastFlushAt: string | null;
  lastError: string | null;
  /** Sessions put back into Redis from the database since startup. */
  restored: number;
}

export interface DurableOptions {
  flushMs: number;
  /** Rows are purged once their expiry is this far in the past (the longest session lifetime). */
  purgeAfterMs: number;
  logger?: Logger;
  now?: () => number;
}

const BATCH = 200;
const RESTORE_PARALLELISM = 16;

export class DurableSessions {
  readonly #archive: SessionArchive;
  readonly #options: DurableOptions;
  readonly #logger: Logger;
  readonly #now: () => number;
  /** id → copy in hand, or null to re-read it when the batch is written. */
  readonly #dirty = new Map<string, SessionRecord | null>();
  readonly #pendingEnds = new Set<string>();
  readonly #pendingUserEnds = new Map<string, { at: number; exceptId: string | undefined }>();
  /** userId → logout epoch not yet written (the database was unreachable). */
  readonly #pendingEpochs = new Map<string, number>();
  #peek: (id: string) => Promise<SessionRecord | null> = async () => null;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #lastFlushAt: number | null = null;
  #lastError: string | null = null;
  #restored = 0;

  constructor(archive: SessionArchive, options: DurableOptions) {
    this.#archive = archive;
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#now = options.now ?? Date.now;
  }

  /** Starts the background writer; `peek` reads a session's current copy without renewing it. */
  start(peek: (id: string) => Promise<SessionRecord | null>): void {
    this.#peek = peek;
    this.#timer = setInterval(() => void this.flush(), this.#options.flushMs);
    this.#timer.unref();
  }

  /** Writes what is pending, then stops. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }

  changed(id: string): void {
    this.#dirty.set(id, null);
  }

  /** A renewing read: the copy is refreshed on the first read in each eighth of the lifetime. */
  touched(record: SessionRecord): void {
    if (this.#dirty.has(record.id) || record.previousSeenAt === undefined) return;
    const window = Math.max(1000, Math.floor(record.ttlMs / 8));
    if (Math.floor(record.previousSeenAt / window) !== Math.floor(record.lastSeenAt / window)) {
      this.#dirty.set(record.id, { ...record });
    }
  }

  /** Records logouts at once; never throws (a failure is retried with the next batch). */
  async ended(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    for (const id of ids) {
      this.#dirty.delete(id);
      this.#pendingEnds.add(id);
    }
    await this.#writeEnds();
  }

  /** Records a logout-all at once (its epoch, then the tombstones); never throws. */
  async endedUser(userId: string, epoch: number, exceptId?: string): Promise<void> {
    this.#pendingEpochs.set(userId, Math.max(epoch, this.#pendingEpochs.get(userId) ?? 0));
    this.#pendingUserEnds.set(userId, { at: epoch, exceptId });
    await this.#writeEnds();
  }

  /** Every logout epoch in the database (none when it cannot be reached). */
  async epochs(): Promise<[userId: string, epoch: number][]> {
    try {
      await this.#archive.purgeEpochs(this.#now() - 2 * this.#options.purgeAfterMs);
      return await this.#archive.epochs();
    } catch (error) {
      this.#fail(error, 'reading logout epochs');
      return [];
    }
  }

  /** The database copy of a session, or null (also when the database cannot be reached). */
  async fetch(id: string): Promise<SessionRecord | null> {
    try {
      return await this.#archive.get(id, this.#now());
    } catch (error) {
      this.#fail(error, 'reading a session copy');
      return null;
    }
  }

  /** Writes every pending change now. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#flushNow());
    return this.#flushing;
  }

  /**
   * Puts every live database copy back through `restore` (which skips ids Redis holds and checks
   * the epoch); returns how many.
   */
  async restoreInto(restore: (record: SessionRecord) => Promise<boolean>): Promise<number> {
    const now = this.#now();
    await this.#archive.purge(now - this.#options.purgeAfterMs);
    let restored = 0;
    let after = '';
    for (;;) {
      const page = await this.#archive.page(now, after, BATCH);
      if (page.length === 0) break;
      for (let i = 0; i < page.length; i += RESTORE_PARALLELISM) {
        const results = await Promise.all(page.slice(i, i + RESTORE_PARALLELISM).map((r) => restore(r)));
        restored += results.filter(Boolean).length;
      }
      after = page.at(-1)!.id;
    }
    this.#restored += restored;
    return restored;
  }

  health(): DurableHealth {
    return {
      pending: this.#dirty.size,
      pendingEnds: this.#pendingEnds.size + this.#pendingUserEnds.size + this.#pendingEpochs.size,
      lastFlushAt: this.#lastFlushAt === null ? null : new Date(this.#lastFlushAt).toISOString(),
      lastError: this.#lastError,
      restored: this.#restored,
    };
  }

  async #flushNow(): Promise<void> {
    await this.#writeEnds();
    if (this.#dirty.size === 0) return;
    const batch = [...this.#dirty].slice(0, BATCH * 10);
    for (const [id] of batch) this.#dirty.delete(id);
    try {
      const records = await Promise.all(batch.map(async ([id, copy]) => copy ?? (await this.#peek(id))));
      const live = records.filter((r): r is SessionRecord => r !== null);
      for (let i = 0; i < live.length; i += BATCH) await this.#archive.save(live.slice(i, i + BATCH));
      this.#lastFlushAt = this.#now();
      this.#lastError = null;
    } catch (error) {
      // Keep them for the next round, unless a newer change arrived meanwhile.
      for (const [id, copy] of batch) if (!this.#dirty.has(id)) this.#dirty.set(id, copy);
      this.#fail(error, 'writing session copies');
    }
  }

  async #writeEnds(): Promise<void> {
    const at = this.#now();
    try {
      for (const [userId, epoch] of [...this.#pendingEpochs]) {
        await this.#archive.raiseEpoch(userId, epoch);
        if (this.#pendingEpochs.get(userId) === epoch) this.#pendingEpochs.delete(userId);
      }
      if (this.#pendingEnds.size > 0) {
        const ids = [...this.#pendingEnds];
        await this.#archive.end(ids, at);
        for (const id of ids) this.#pendingEnds.delete(id);
      }
      for (const [userId, request] of [...this.#pendingUserEnds]) {
        await this.#archive.endUser(userId, request.at, request.exceptId);
        if (this.#pendingUserEnds.get(userId) === request) this.#pendingUserEnds.delete(userId);
      }
    } catch (error) {
      this.#fail(error, 'recording logouts');
    }
  }

  #fail(error: unknown, what: string): void {
    this.#lastError = error instanceof Error ? error.message : String(error);
    this.#logger.warn({ err: error }, `durable sessions: ${what} failed; will retry`);
  }
}
