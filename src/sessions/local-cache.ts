/**
 * `LocalSessionCache`: sessions this instance read from Redis a moment ago, so that the next
 * requests of the same session cost no round trip (SESSION_LOCAL_CACHE_MS, 0 turns it off).
 *
 * When a copy may be served — all of these must hold:
 * - the copies are trusted (the policy of every in-process copy, src/coherence/copies.ts): Redis
 *   is ready and this instance has seen its own probe come back on the invalidation channel since
 *   Redis was last (re)connected or failed over. Copies are not kept while Redis is unreachable:
 *   one could revive a session ended meanwhile on an instance that still reaches Redis;
 * - the copy is younger than `maxAgeMs`;
 * - the session's renewal is not due: a copy is never served past the moment the Redis read would
 *   have renewed the session (RENEWAL_GRANULARITY_MS, or a tenth of the lifetime), so Redis sees
 *   the same renewals as without the cache, and the copy is re-read at least that often;
 * - nor its index refresh, nor its expiry.
 *
 * Invalidation. Every change made through Plexus on any instance (a save, logout, logout-all, a
 * session ended from the list) drops the copies: the instance that made it at once, the others
 * when its message arrives, which the writer publishes before it answers (copies.ts). Messages
 * name sessions by handle (handle.ts), never by id. A read that started before an invalidation of
 * its session does not fill the cache with what it read (`ticket` / `fill`, the copies' fill
 * guard), so a slow read cannot put back a copy a write has just dropped.
 *
 * What is served is a copy: the application may change the objects it gets without changing the
 * cached one.
 */
import { LocalCopies } from '../coherence/copies.js';
import { sessionHandle } from './handle.js';
import type { SessionRecord } from './record.js';

/**
 * What the sessions' invalidation messages carry: sessions (by handle) changed or ended, or every
 * session of a user ended (with the user's logout epoch, epochs.ts).
 */
export type SessionInvalidation = { s: string[] } | { u: string; e?: number };

export interface LocalSessionCacheOptions {
  /** Longest time a copy is served after it was read from Redis. */
  maxAgeMs: number;
  /** Most copies kept; the oldest goes first. */
  maxEntries: number;
  /** How long after its last renewal a session is renewed again (session-store.ts). */
  renewalStep: (ttlMs: number) => number;
  now?: () => number;
}

export interface LocalSessionCacheStats {
  /** Copies may be served now (Redis ready and the invalidation channel confirmed). */
  trusted: boolean;
  maxAgeMs: number;
  entries: number;
  hits: number;
  /** Reads that went to Redis while the cache was on. */
  misses: number;
  /** Copies dropped because a session changed or ended (here or on another instance). */
  invalidations: number;
}

interface Entry {
  record: SessionRecord;
  handle: string;
  servedUntil: number;
}

export class LocalSessionCache extends LocalCopies<SessionInvalidation> {
  readonly maxAgeMs: number;
  readonly #maxEntries: number;
  readonly #renewalStep: (ttlMs: number) => number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  /** handle → session id, for invalidations, which name sessions by handle. */
  readonly #ids = new Map<string, string>();
  #hits = 0;
  #misses = 0;
  #invalidations = 0;

  constructor(options: LocalSessionCacheOptions) {
    super();
    this.maxAgeMs = options.maxAgeMs;
    this.#maxEntries = options.maxEntries;
    this.#renewalStep = options.renewalStep;
    this.#now = options.now ?? Date.now;
  }

  /** A copy of the session, or undefined when none may be served. */
  get(id: string): SessionRecord | undefined {
    const record = this.peek(id);
    return record === undefined ? undefined : copyRecord(record);
  }

  /**
   * The cached record itself, read-only, or undefined when none may be served (`get` copies it): for
   * readers that change nothing, such as the fast lane's `/auth/me`, which keeps what it built from
   * a record for as long as the record is the one cached.
   */
  peek(id: string): Readonly<SessionRecord> | undefined {
    if (!this.trusted) return undefined;
    const entry = this.#entries.get(id);
    if (entry !== undefined && this.#now() < entry.servedUntil) {
      this.#hits++;
      return entry.record;
    }
    if (entry !== undefined) this.#forget(id, entry.handle);
    return undefined;
  }

  /**
   * Taken before reading a session from Redis (a miss); every ticket must be handed back to
   * `fill` exactly once, with what was read or null.
   */
  ticket(): number {
    this.#misses++;
    return this.guard.begin();
  }

  /** Keeps what a read returned, unless its session was invalidated since the read started. */
  fill(id: string, record: SessionRecord | null, ticket: number): void {
    const handle = sessionHandle(id);
    const clean = this.guard.end(handle, ticket);
    if (!clean || !this.trusted || record === null) return;
    const now = this.#now();
    const servedUntil = Math.min(
      now + this.maxAgeMs,
      record.lastSeenAt + this.#renewalStep(record.ttlMs),
      record.expiresAt,
      record.user === null ? Number.POSITIVE_INFINITY : record.indexDueAt,
    );
    if (servedUntil <= now) return;
    const { previousSeenAt: _, ...kept } = record;
    this.#entries.delete(record.id);
    while (this.#entries.size >= this.#maxEntries) {
      const [oldestId, oldest] = this.#entries.entries().next().value!;
      this.#forget(oldestId, oldest.handle);
    }
    this.#entries.set(record.id, { record: copyRecord(kept), handle, servedUntil });
    this.#ids.set(handle, record.id);
  }

  /** Drops the copies of these sessions (by handle) and keeps later-finishing reads from filling. */
  invalidate(handles: readonly string[]): void {
    for (const handle of handles) {
      this.guard.touch(handle);
      const id = this.#ids.get(handle);
      if (id === undefined) continue;
      this.#forget(id, handle);
      this.#invalidations++;
    }
  }

  /** Drops every copy of the user's sessions; returns their handles. */
  invalidateUser(userId: string): string[] {
    const handles: string[] = [];
    for (const entry of this.#entries.values()) {
      if (entry.record.user?.id === userId) handles.push(entry.handle);
    }
    this.invalidate(handles);
    return handles;
  }

  stats(): LocalSessionCacheStats {
    return {
      trusted: this.trusted,
      maxAgeMs: this.maxAgeMs,
      entries: this.#entries.size,
      hits: this.#hits,
      misses: this.#misses,
      invalidations: this.#invalidations,
    };
  }

  protected drop(): void {
    this.#entries.clear();
    this.#ids.clear();
  }

  #forget(id: string, handle: string): void {
    this.#entries.delete(id);
    this.#ids.delete(handle);
  }
}

/** A copy the caller may change freely: data, claims and cookie are not shared with the cache. */
function copyRecord(record: SessionRecord): SessionRecord {
  const { user, data, cookie } = record;
  return {
    ...record,
    user: user === null ? null : { ...user, ...(user.roles === undefined ? {} : { roles: [...user.roles] }) },
    data: isEmpty(data) ? {} : structuredClone(data),
    cookie: cookie === null ? null : structuredClone(cookie),
  };
}

function isEmpty(object: Record<string, unknown>): boolean {
  for (const _ in object) return false;
  return true;
}
