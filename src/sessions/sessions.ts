/**
 * `Sessions`: the session service behind the Fastify plugin, the Express store and the auth
 * routes. It keeps sessions in Redis, shared by every instance, and in this process while Redis is
 * unreachable.
 *
 * Placement. While the layer is ready (or in memory mode, where the process is alone by
 * configuration) sessions live in the layer's Store. While it is degraded or connecting, or when a
 * call fails for lack of Redis, they live in a process-local store: new logins work; a session that
 * exists only in Redis cannot be checked until it is back (REDIS_UNAVAILABLE, not "ended"). Health
 * reports which store is in use.
 *
 * Logout epochs (epochs.ts). A logout-all raises the user's epoch (here, in Redis, in the
 * database in durable mode); every read checks it, whatever it read from (Redis, a local copy,
 * this process's store, an outage copy, the database), so a session issued before a logout-all is
 * dead wherever it was kept. Single logouts leave a tombstone in Redis (`sess-end:<id>`) that a
 * session moved back from elsewhere is checked against.
 *
 * Outage copies (outage-copies.ts, SESSION_OUTAGE_GRACE): while Redis cannot be asked, sessions
 * read from Redis lately are served from this instance's copy instead of 503.
 *
 * Recovery. When the layer becomes ready again, the epochs known here (and, in durable mode, the
 * database's) are written to Redis again, logout-alls made meanwhile are replayed (ending the
 * sessions valid before their epoch), so are single logouts, then the local sessions are moved
 * into Redis (unless an id is taken there, and checked against tombstones and epochs afterwards),
 * and in durable mode the database copy is restored the same way. Until a local session has
 * moved, reads fall back to it, so nobody is logged out by the move.
 *
 * Durable mode (option `durable`): see durable.ts.
 *
 * Local copies (option `localCache`, copies.ts): sessions read from Redis are kept in this
 * process for a moment, so most requests cost no round trip. Every change made here drops the
 * copies on every instance before the call returns.
 */
import { RedisUnavailableError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import { withFallback } from '../redis/fallback.js';
import type { StateChange } from '../redis/layer.js';
import { MemoryStore } from '../redis/memory/memory-store.js';
import { clusterReachable, type LayerView } from '../redis/view.js';
import { SessionCopies } from './copies.js';
import type { DurableSessions } from './durable.js';
import { EpochBook, endedByEpoch } from './epochs.js';
import { sessionHandle } from './handle.js';
import type { LocalSessionCacheStats } from './local-cache.js';
import { OutageCopies } from './outage-copies.js';
import type { SessionRecord } from './record.js';
import {
  type LoadOptions,
  type NewSession,
  newSessionId,
  type SaveResult,
  type SessionChanges,
  SessionStore,
} from './session-store.js';

export interface SessionsOptions {
  /** Rolling lifetime of new sessions. */
  ttlMs: number;
  logger?: Logger;
  /** Durable mode: the database copy (see durable.ts). */
  durable?: DurableSessions;
  /** Keep sessions read from Redis in this process (local-cache.ts); off when absent or 0 ms. */
  localCache?: { maxAgeMs: number; maxEntries: number };
  /** Serve sessions read lately while Redis cannot be asked, this long after the read (outage-copies.ts). */
  outageGraceMs?: number;
  /** Most sessions kept for outages, and most users whose logout epoch is remembered. @default 10000 */
  maxEntries?: number;
  /** Names this instance in invalidation messages (random when absent). */
  instanceId?: string;
  now?: () => number;
}

/** What `onChanged` listeners hear: sessions changed or ended, or a user's sessions ended. */
export type SessionsChanged = { readonly handles: readonly string[] } | { readonly userId: string };

export interface SessionsHealth {
  /** Where sessions are kept now: `redis` (shared by every instance) or `memory` (this process). */
  backend: 'redis' | 'memory';
  /** False while Redis is configured but unreachable: sessions made now are seen by this instance only. */
  shared: boolean;
  /** Sessions kept in this process (made while Redis was unreachable, not yet moved back). */
  local: number;
  /** Logout-alls made while Redis was unreachable, to replay when it is back. */
  pendingLogoutAll: number;
  /** Single sessions ended while Redis was unreachable, to end there too when it is back. */
  pendingLogouts: number;
  durable: ReturnType<DurableSessions['health']> | null;
  /** The local copies (SESSION_LOCAL_CACHE_MS); null when off or without Redis. */
  localCache: LocalSessionCacheStats | null;
  /** Sessions kept to serve while Redis cannot be asked (SESSION_OUTAGE_GRACE); null when off. */
  outageCopies: { entries: number; served: number; graceMs: number } | null;
  /** Users whose logout epoch this instance remembers. */
  epochs: number;
}

export class Sessions {
  readonly ttlMs: number;
  readonly #layer: LayerView;
  readonly #logger: Logger;
  readonly #shared: SessionStore;
  readonly #localStore = new MemoryStore();
  readonly #local: SessionStore;
  readonly #durable: DurableSessions | undefined;
  readonly #changeListeners = new Set<(change: SessionsChanged) => void>();
  /** userId → the epoch of a logout-all made while Redis was unreachable (and the session it kept). */
  readonly #pendingLogoutAll = new Map<string, { epoch: number; exceptId: string | undefined }>();
  readonly #epochs: EpochBook;
  readonly #outage: OutageCopies | undefined;
  /** Session ids ended while Redis was unreachable. */
  readonly #pendingLogouts = new Set<string>();
  readonly #onState = (change: StateChange) => {
    if (change.state === 'ready') void this.#recover();
    else this.#restored = false;
  };
  /**
   * Durable mode: the database copy has been put back into Redis since it was last (re)reached.
   * Until then a session Redis does not have is looked for in the database (a Redis restarted
   * empty must not log anyone out while the restore runs).
   */
  #restored = false;
  readonly #now: () => number;
  readonly #copies: SessionCopies | undefined;
  #recovering: Promise<void> = Promise.resolve();
  #started = false;

  constructor(layer: LayerView, options: SessionsOptions) {
    this.#layer = layer;
    this.ttlMs = options.ttlMs;
    this.#logger = options.logger ?? silentLogger;
    this.#durable = options.durable;
    this.#now = options.now ?? Date.now;
    this.#shared = new SessionStore(layer.store, layer.keys, options.now);
    this.#local = new SessionStore(this.#localStore, layer.keys, options.now);
    const maxEntries = options.maxEntries ?? 10_000;
    this.#epochs = new EpochBook({ keepMs: 2 * this.ttlMs, maxEntries, now: this.#now });
    const grace = options.outageGraceMs ?? 0;
    if (grace > 0 && layer.state !== 'memory') {
      this.#outage = new OutageCopies({ graceMs: grace, maxEntries, now: this.#now });
    }
    const local = options.localCache;
    if (local !== undefined && local.maxAgeMs > 0 && layer.state !== 'memory') {
      this.#copies = new SessionCopies(layer, {
        ...local,
        instanceId: options.instanceId,
        logger: this.#logger,
        now: this.#now,
        heard: {
          sessions: (handles) => {
            const ended = new Set(handles);
            this.#outage?.forgetWhere((id) => ended.has(sessionHandle(id)));
            this.#emitChanged({ handles });
          },
          user: (userId, epoch) => {
            if (epoch !== undefined) this.#epochs.raise(userId, epoch);
            this.#outage?.forgetUser(userId);
            this.#emitChanged({ userId });
          },
        },
      });
    }
  }

  /**
   * Follows sessions that ended or changed on any instance: a logout here, and what other instances
   * announce over the local copies' invalidation channel (so not with SESSION_LOCAL_CACHE_MS=0).
   * `handles` name sessions changed or ended (sessionHandle); `userId` a user whose sessions a
   * logout-all ended. Listeners load the session to tell which (the realtime hub closes the
   * connections of ended sessions with 1008). Returns the unsubscribe function.
   */
  onChanged(listener: (change: SessionsChanged) => void): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  #emitChanged(change: SessionsChanged): void {
    for (const listener of this.#changeListeners) {
      try {
        listener(change);
      } catch (error) {
        this.#logger.warn({ err: error }, 'a session change listener failed');
      }
    }
  }

  /** Starts following the layer's state; in durable mode restores the database copy once ready. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#layer.on('state', this.#onState);
    this.#durable?.start((id) => this.#peek(id));
    await this.#copies?.start();
    if (this.#sharedUsable()) await this.#recover();
  }

  async close(): Promise<void> {
    this.#layer.off('state', this.#onState);
    await this.#copies?.close();
    await this.#recovering;
    await this.#durable?.close();
    this.#localStore.close();
  }

  health(): SessionsHealth {
    const shared = this.#layer.state === 'ready';
    return {
      backend: shared ? 'redis' : 'memory',
      shared: shared || this.#layer.state === 'memory',
      local:
        this.#layer.state === 'memory'
          ? 0
          : this.#localStore.data.keys(this.#layer.keys.sessions.allSessions()).length,
      pendingLogoutAll: this.#pendingLogoutAll.size,
      pendingLogouts: this.#pendingLogouts.size,
      durable: this.#durable?.health() ?? null,
      localCache: this.#copies?.stats() ?? null,
      outageCopies: this.#outage?.stats() ?? null,
      epochs: this.#epochs.size,
    };
  }

  /** Creates a session with a fresh id (unless `input.id`), where sessions are kept now. */
  async create(input: NewSession): Promise<SessionRecord> {
    const withId = { ...input, id: input.id ?? newSessionId() };
    const record = await this.#route(
      (store) => store.create(withId),
      (store) => store.create(withId),
    );
    this.#durable?.changed(record.id);
    return record;
  }

  /**
   * The local copy of a session when one may be served now (see local-cache.ts), without I/O;
   * `load` returns the same, or reads Redis.
   */
  cached(id: string): SessionRecord | undefined {
    const copy = this.#copies?.get(id);
    return copy === undefined || this.#epochs.ends(copy) ? undefined : copy;
  }

  /**
   * Like `cached`, without the copy: the cached record itself, which the caller must not change.
   * The same object for as long as the same copy is served.
   */
  peekCached(id: string): Readonly<SessionRecord> | undefined {
    const copy = this.#copies?.peek(id);
    return copy === undefined || this.#epochs.ends(copy) ? undefined : copy;
  }

  /**
   * Reads a session, renewing it unless `touch: false`. Null when it does not exist (any more);
   * REDIS_UNAVAILABLE / REDIS_TIMEOUT when only Redis could tell and it cannot be reached.
   */
  async load(id: string, options: LoadOptions = {}): Promise<SessionRecord | null> {
    const touch = options.touch !== false;
    const copies = touch ? this.#copies : undefined;
    if (copies !== undefined) {
      const copy = copies.get(id);
      if (copy !== undefined && !this.#epochs.ends(copy)) return copy;
    }
    const ticket = copies?.ticket() ?? 0;
    let fromRedis: SessionRecord | null = null;
    try {
      const record = await this.#route(
        async (store) => {
          const read = await this.#checked(
            store,
            (await store.load(id, options)) ?? (await this.#unrestored(id, options)),
          );
          if (touch) this.#outage?.remember(id, read);
          fromRedis = read;
          return read ?? (await this.#localLoad(id, options));
        },
        (store) => this.#outageLoad(id, options, store),
      );
      if (record !== null && touch) this.#durable?.touched(record);
      return record;
    } finally {
      // Only what Redis said is kept; every ticket is handed back, whatever happened.
      copies?.fill(id, fromRedis, ticket);
    }
  }

  /** Applies changes (per-field merge) or replaces the data. Null when the session is gone. */
  async write(
    id: string,
    changes: SessionChanges,
    mode: 'update' | 'replace' = 'update',
  ): Promise<SaveResult | null> {
    const result = await this.#write(id, changes, mode);
    await this.#copies?.changed([id]);
    return result;
  }

  async #write(id: string, changes: SessionChanges, mode: 'update' | 'replace'): Promise<SaveResult | null> {
    const result = await this.#route(
      async (store) => {
        const inLocal = await this.#local.load(id, { touch: false });
        if (inLocal !== null) return this.#local.write(id, changes, mode);
        return store.write(id, changes, mode);
      },
      (store) => store.write(id, changes, mode),
    );
    if (result !== null) this.#durable?.changed(id);
    return result;
  }

  /** Renews a session (and its express-session cookie) without changing its data. */
  async touch(id: string, ttlMs?: number, cookie?: Record<string, unknown>): Promise<boolean> {
    if (ttlMs === undefined && cookie === undefined) return (await this.load(id)) !== null;
    // Renewing changes nothing a local copy serves, and a copy is never served past its renewal
    // step: no invalidation (Express touches every request).
    return (await this.#write(id, { ttlMs, cookie }, 'update')) !== null;
  }

  /** Ends one session wherever it is kept. Returns its user id, or null if there was none. */
  async destroy(id: string): Promise<{ userId: string | null } | null> {
    await this.#durable?.ended([id]);
    this.#outage?.forget([id]);
    const local = await this.#local.destroy(id);
    const shared = await this.#route(
      async (store) => {
        // Before the session goes: another instance moving it back later finds the tombstone.
        await store.markEnded(id, this.ttlMs);
        return store.destroy(id);
      },
      async () => {
        // Maybe kept in Redis: ended there as soon as it is back (a no-op if it is not there).
        this.#pendingLogouts.add(id);
        return null;
      },
    );
    await this.#copies?.changed([id]);
    this.#emitChanged({ handles: [sessionHandle(id)] });
    return shared ?? local;
  }

  /** The user's live sessions, most recently seen first. */
  async listUser(userId: string): Promise<SessionRecord[]> {
    const local = await this.#local.listUser(userId);
    const shared = await this.#route(
      (store) => store.listUser(userId),
      async () => [],
    );
    return [...shared, ...local.filter((l) => !shared.some((s) => s.id === l.id))].sort(
      (a, b) => b.lastSeenAt - a.lastSeenAt,
    );
  }

  /**
   * Ends every session of the user (but `exceptId`) on every instance. While Redis is unreachable
   * the sessions kept there are ended as soon as it is back. Returns the ids ended now.
   */
  async destroyUser(userId: string, options: { exceptId?: string } = {}): Promise<string[]> {
    const { exceptId } = options;
    // The epoch: every session of the user valid before it is dead wherever it is read. The kept
    // session is moved past it first, so that no read between the steps ends it. The sessions are
    // ended before the epoch is published (in Redis, in this process): every read that learns the
    // epoch ends the sessions it finds, so publishing first let a concurrent read (the durable
    // flusher's, another request's) end some of them, and the logout-all then counted fewer than
    // it ended. A session moved into Redis meanwhile is ended by the epoch on its next read.
    const epoch = Math.max(this.#now(), this.#epochs.get(userId) + 1);
    let ended: string[];
    try {
      if (exceptId !== undefined) await this.#local.keep(exceptId, epoch);
      this.#outage?.forgetUser(userId, exceptId, epoch);
      await this.#durable?.endedUser(userId, epoch, exceptId);
      const local = await this.#local.destroyUser(userId, { exceptId, epoch });
      const shared = await this.#route(
        async (store) => {
          if (exceptId !== undefined) await store.keep(exceptId, epoch);
          const endedThere = await store.destroyUser(userId, { exceptId, epoch });
          await store.raiseEpoch(userId, epoch, this.#epochKeepMs());
          return endedThere;
        },
        async () => {
          this.#pendingLogoutAll.set(userId, { epoch, exceptId });
          return [];
        },
      );
      ended = [...shared, ...local];
    } finally {
      this.#epochs.raise(userId, epoch, true);
    }
    await this.#copies?.changed(ended, userId, epoch);
    this.#emitChanged({ userId });
    // Sessions not yet copied to the database get their tombstones too.
    await this.#durable?.ended(ended);
    return ended;
  }

  /** Every session id (Redis and this process), in batches. */
  async *ids(): AsyncIterable<string[]> {
    if (this.#sharedUsable()) yield* this.#shared.ids();
    if (this.#layer.state !== 'memory') yield* this.#local.ids();
  }

  async count(): Promise<number> {
    let count = 0;
    for await (const batch of this.ids()) count += batch.length;
    return count;
  }

  /** Ends every session. */
  async clear(): Promise<void> {
    for await (const batch of this.ids()) await Promise.all(batch.map((id) => this.destroy(id)));
  }

  #sharedUsable(): boolean {
    return clusterReachable(this.#layer);
  }

  /**
   * Runs `shared` on the layer's store when Redis is usable, and `local` on the process store when
   * it is not or when the call fails for lack of Redis (timeouts included).
   */
  #route<T>(
    shared: (store: SessionStore) => Promise<T>,
    local: (store: SessionStore) => Promise<T>,
  ): Promise<T> {
    return withFallback(
      this.#layer,
      () => shared(this.#shared),
      () => local(this.#local),
      {
        onFallback: (error) =>
          this.#logger.debug({ err: error }, 'session call fell back to the process store'),
      },
    );
  }

  /** How long an epoch is kept in Redis: past the end of any session valid before it. */
  #epochKeepMs(): number {
    return 2 * this.ttlMs;
  }

  /**
   * What a Redis read returned, unless the user's logout epoch (the one in Redis or a later one
   * known here) ends it: then the session is ended there too (only if it is still valid before
   * the epoch, so a session a logout-all kept meanwhile survives) and null is returned.
   */
  async #checked(store: SessionStore, record: SessionRecord | null): Promise<SessionRecord | null> {
    if (record?.user == null) return record;
    const userId = record.user.id;
    const epoch = this.#epochs.raise(userId, await store.epoch(userId));
    if (!endedByEpoch(record, epoch)) return record;
    if ((await store.destroy(record.id, userId, epoch)) !== null) return null;
    // Kept by a logout-all meanwhile (or gone): read it again.
    const again = await store.load(record.id, { touch: false });
    return again !== null && !endedByEpoch(again, epoch) ? again : null;
  }

  /** Durable mode, before the restore has finished: the database copy, put back into Redis first. */
  async #unrestored(id: string, options: LoadOptions): Promise<SessionRecord | null> {
    if (this.#durable === undefined || this.#restored) return null;
    const saved = await this.#durable.fetch(id);
    if (saved === null) return null;
    // Put back here or, concurrently, by the restore or another request: read what Redis has.
    await this.#restoreChecked(saved);
    return this.#shared.load(id, options);
  }

  /** A session kept in this process (made while Redis was unreachable, not moved yet). */
  async #localLoad(id: string, options: LoadOptions, store = this.#local): Promise<SessionRecord | null> {
    if (this.#layer.state === 'memory') return null;
    const local = await store.load(id, options);
    if (local === null || !this.#epochs.ends(local)) return local;
    await store.destroy(id);
    return null;
  }

  /**
   * A session while Redis cannot be asked: kept in this process, else this instance's outage copy,
   * else (durable mode) the database copy; REDIS_UNAVAILABLE when none of them knows it.
   */
  async #outageLoad(id: string, options: LoadOptions, store: SessionStore): Promise<SessionRecord | null> {
    const local = await this.#localLoad(id, options, store);
    if (local !== null || this.#layer.state === 'memory' || this.#pendingLogouts.has(id)) return local;
    const copy = this.#outage?.get(id);
    if (copy !== undefined) return this.#epochs.ends(copy) ? null : copy;
    if (this.#durable !== undefined) {
      const saved = await this.#durable.fetch(id);
      if (saved !== null) {
        if (this.#epochs.ends(saved)) return null;
        // Put back here, or concurrently by another request: read what this process has.
        await store.restore(saved);
        return store.load(id, options);
      }
    }
    // Not here, and Redis cannot be asked: unknown, which is not the same as ended. Callers
    // answer 503 and keep the cookie rather than log the user out over an outage.
    throw new RedisUnavailableError('the session is kept in Redis, which cannot be reached');
  }

  /**
   * Puts a session kept elsewhere (this process, the database) into Redis unless Redis has it,
   * then checks it against its tombstone and its user's epoch there: a logout made elsewhere
   * before the move wins, in whatever order the instances came back.
   */
  async #restoreChecked(record: SessionRecord): Promise<boolean> {
    if (this.#epochs.ends(record)) return false;
    if (!(await this.#shared.restore(record))) return false;
    const userId = record.user?.id;
    if (await this.#shared.isEnded(record.id)) {
      await this.#shared.destroy(record.id);
      return false;
    }
    if (userId === undefined) return true;
    const epoch = this.#epochs.raise(userId, await this.#shared.epoch(userId));
    if (!endedByEpoch(record, epoch)) return true;
    await this.#shared.destroy(record.id, userId, epoch);
    return false;
  }

  /** The current copy of a session without renewing it (for the durable flusher). */
  #peek(id: string): Promise<SessionRecord | null> {
    return this.load(id, { touch: false });
  }

  #recover(): Promise<void> {
    this.#recovering = this.#recovering
      .then(() => this.#recoverNow())
      .catch((error: unknown) => {
        this.#logger.warn(
          { err: error },
          'moving sessions back to Redis failed; retrying when it is ready again',
        );
      });
    return this.#recovering;
  }

  async #recoverNow(): Promise<void> {
    if (!this.#sharedUsable()) return;
    const keepMs = this.#epochKeepMs();
    // Sessions that logout-alls made meanwhile keep move past their epochs before any epoch lands.
    for (const [, pending] of this.#pendingLogoutAll) {
      if (pending.exceptId !== undefined) await this.#shared.keep(pending.exceptId, pending.epoch);
    }
    // Epochs first (the database's, then those of the logout-alls made here): a Redis restarted
    // empty gets them back before any session is moved into it.
    const epochs = [...((await this.#durable?.epochs()) ?? []), ...this.#epochs.own()];
    for (let i = 0; i < epochs.length; i += EPOCH_PARALLELISM) {
      await Promise.all(
        epochs.slice(i, i + EPOCH_PARALLELISM).map(async ([userId, epoch]) => {
          this.#epochs.raise(userId, await this.#shared.raiseEpoch(userId, epoch, keepMs));
        }),
      );
    }
    for (const [userId, pending] of [...this.#pendingLogoutAll]) {
      const ended = await this.#shared.destroyUser(userId, pending);
      this.#pendingLogoutAll.delete(userId);
      await this.#copies?.changed(ended, userId, pending.epoch);
    }
    for (const id of [...this.#pendingLogouts]) {
      await this.#shared.markEnded(id, this.ttlMs);
      await this.#shared.destroy(id);
      this.#pendingLogouts.delete(id);
      await this.#copies?.changed([id]);
    }
    if (this.#layer.state !== 'memory') {
      let moved = 0;
      for await (const batch of this.#local.ids()) {
        for (const id of batch) {
          const record = await this.#local.load(id, { touch: false });
          if (record !== null && (await this.#restoreChecked(record))) moved++;
          await this.#local.destroy(id);
        }
      }
      if (moved > 0) this.#logger.info({ moved }, 'sessions made while Redis was unreachable moved to Redis');
    }
    if (this.#durable !== undefined) {
      const restored = await this.#durable.restoreInto((record) => this.#restoreChecked(record));
      if (restored > 0) this.#logger.info({ restored }, 'sessions restored from the database');
      this.#restored = this.#sharedUsable();
    }
  }
}

/** Epochs written to Redis at once when it comes back. */
const EPOCH_PARALLELISM = 32;
