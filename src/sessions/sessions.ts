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
 * Recovery. When the layer becomes ready again, logout-alls made meanwhile are replayed against
 * Redis (ending the sessions older than the request), then the local sessions are moved into
 * Redis (unless an id is taken there), and in durable mode the database copy is restored. Until a
 * local session has moved, reads fall back to it, so nobody is logged out by the move.
 *
 * Durable mode (option `durable`): see durable.ts.
 *
 * Local cache (option `localCache`, local-cache.ts): sessions read from Redis are kept in this
 * process for a moment, so most requests cost no round trip. Every change made here is published
 * on the sessions' invalidation channel before the call returns (a logout answers only once every
 * other instance has been sent the message that drops its copy); copies are served only while the
 * channel is confirmed live. A message that cannot be sent is retried for as long as a copy made
 * before the change could still be served.
 */
import { randomBytes } from 'node:crypto';
import type { LayerView } from '../bus/backend.js';
import { hasCode, RedisUnavailableError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import { InvalidationChannel } from '../redis/invalidation-channel.js';
import type { StateChange } from '../redis/layer.js';
import { MemoryStore } from '../redis/memory/memory-store.js';
import type { DurableSessions } from './durable.js';
import { sessionHandle } from './handle.js';
import { LocalSessionCache, type LocalSessionCacheStats } from './local-cache.js';
import type { SessionRecord } from './record.js';
import {
  type LoadOptions,
  type NewSession,
  newSessionId,
  renewalStep,
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
  /** Names this instance in invalidation messages (random when absent). */
  instanceId?: string;
  now?: () => number;
}

/**
 * What the sessions' invalidation channel carries: `s` the handles of sessions changed or ended,
 * `u` a user whose every session was ended (logout-all).
 */
type SessionInvalidation = { s: string[] } | { u: string };

/** How often a message that could not be published is tried again. */
const RETRY_MS = 100;

export interface SessionsHealth {
  /** Where sessions are kept now: `redis` (shared by every instance) or `memory` (this process). */
  backend: 'redis' | 'memory';
  /** False while Redis is configured but unreachable: sessions made now are seen by this instance only. */
  shared: boolean;
  /** Sessions kept in this process (made while Redis was unreachable, not yet moved back). */
  local: number;
  /** Logout-alls made while Redis was unreachable, to replay when it is back. */
  pendingLogoutAll: number;
  durable: ReturnType<DurableSessions['health']> | null;
  /** The local copies (SESSION_LOCAL_CACHE_MS); null when off or without Redis. */
  localCache: LocalSessionCacheStats | null;
}

export class Sessions {
  readonly ttlMs: number;
  readonly #layer: LayerView;
  readonly #logger: Logger;
  readonly #shared: SessionStore;
  readonly #localStore = new MemoryStore();
  readonly #local: SessionStore;
  readonly #durable: DurableSessions | undefined;
  /** userId → when logout-all was requested while Redis was unreachable. */
  readonly #pendingLogoutAll = new Map<string, number>();
  readonly #onState = (change: StateChange) => {
    if (change.state === 'ready') {
      void this.#recover();
      void this.#confirmChannel();
    } else {
      this.#confirmRun++;
      this.#cache?.distrust();
    }
  };
  readonly #now: () => number;
  readonly #cache: LocalSessionCache | undefined;
  readonly #channel: InvalidationChannel<SessionInvalidation> | undefined;
  /** When each message handed back unsent stops being worth sending (no copy can outlive it). */
  readonly #sendUntil = new WeakMap<SessionInvalidation, number>();
  #unsent: SessionInvalidation[] = [];
  #retryTimer: NodeJS.Timeout | undefined;
  /** Bumped whenever the channel must be confirmed again, so an older confirmation stops. */
  #confirmRun = 0;
  #recovering: Promise<void> = Promise.resolve();
  #started = false;
  #closed = false;

  constructor(layer: LayerView, options: SessionsOptions) {
    this.#layer = layer;
    this.ttlMs = options.ttlMs;
    this.#logger = options.logger ?? silentLogger;
    this.#durable = options.durable;
    this.#now = options.now ?? Date.now;
    this.#shared = new SessionStore(layer.store, layer.keys, options.now);
    this.#local = new SessionStore(this.#localStore, layer.keys, options.now);
    const local = options.localCache;
    if (local !== undefined && local.maxAgeMs > 0 && layer.state !== 'memory') {
      this.#cache = new LocalSessionCache({ ...local, renewalStep, now: this.#now });
      this.#channel = new InvalidationChannel<SessionInvalidation>({
        store: layer.store,
        channel: layer.keys.sessions.channel(),
        origin: options.instanceId ?? randomBytes(8).toString('hex'),
        handlers: {
          apply: (ops) => this.#applyRemote(ops),
          undelivered: (ops) => this.#keepUnsent(ops),
        },
        logger: this.#logger,
        label: 'session invalidation',
        merge: (last, op) => {
          if (!('s' in last) || !('s' in op)) return false;
          last.s.push(...op.s);
          return true;
        },
      });
    }
  }

  /** Starts following the layer's state; in durable mode restores the database copy once ready. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#layer.on('state', this.#onState);
    this.#durable?.start((id) => this.#peek(id));
    if (this.#channel !== undefined) {
      await this.#channel.start();
      void this.#confirmChannel();
    }
    if (this.#sharedUsable()) await this.#recover();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#confirmRun++;
    this.#layer.off('state', this.#onState);
    clearTimeout(this.#retryTimer);
    this.#cache?.distrust();
    await this.#channel?.stop();
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
      durable: this.#durable?.health() ?? null,
      localCache: this.#cache?.stats() ?? null,
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
    return this.#cache?.get(id);
  }

  /**
   * Reads a session, renewing it unless `touch: false`. Null when it does not exist (any more);
   * REDIS_UNAVAILABLE / REDIS_TIMEOUT when only Redis could tell and it cannot be reached.
   */
  async load(id: string, options: LoadOptions = {}): Promise<SessionRecord | null> {
    const touch = options.touch !== false;
    const cache = touch ? this.#cache : undefined;
    if (cache !== undefined) {
      const copy = cache.get(id);
      if (copy !== undefined) return copy;
    }
    const ticket = cache?.ticket() ?? 0;
    const record = await this.#route(
      async (store) => {
        const shared = await store.load(id, options);
        if (shared === null) return this.#localLoad(id, options);
        cache?.fill(shared, ticket);
        return shared;
      },
      async (store) => {
        const local = await this.#localLoad(id, options, store);
        // Not here, and Redis cannot be asked: unknown, which is not the same as ended. Callers
        // answer 503 and keep the cookie rather than log the user out over an outage.
        if (local === null)
          throw new RedisUnavailableError('the session is kept in Redis, which cannot be reached');
        return local;
      },
    );
    if (record !== null && touch) this.#durable?.touched(record);
    return record;
  }

  /** Applies changes (per-field merge) or replaces the data. Null when the session is gone. */
  async write(
    id: string,
    changes: SessionChanges,
    mode: 'update' | 'replace' = 'update',
  ): Promise<SaveResult | null> {
    const result = await this.#write(id, changes, mode);
    await this.#changed([id]);
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
    const local = await this.#local.destroy(id);
    const shared = await this.#route(
      (store) => store.destroy(id),
      async () => null,
    );
    await this.#changed([id]);
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
    const requestedAt = this.#now();
    await this.#durable?.endedUser(userId, options.exceptId);
    const local = await this.#local.destroyUser(userId, options);
    const shared = await this.#route(
      (store) => store.destroyUser(userId, options),
      async () => {
        this.#pendingLogoutAll.set(userId, requestedAt);
        return [];
      },
    );
    const ended = [...shared, ...local];
    await this.#changed(ended, userId);
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
    return this.#layer.state === 'ready' || this.#layer.state === 'memory';
  }

  /**
   * Runs `shared` on the layer's store when Redis is usable, and `local` on the process store when
   * it is not or when the call fails for lack of Redis (timeouts included).
   */
  async #route<T>(
    shared: (store: SessionStore) => Promise<T>,
    local: (store: SessionStore) => Promise<T>,
  ): Promise<T> {
    if (!this.#sharedUsable()) return local(this.#local);
    try {
      return await shared(this.#shared);
    } catch (error) {
      if (!hasCode(error, 'REDIS_UNAVAILABLE') && !hasCode(error, 'REDIS_TIMEOUT')) throw error;
      this.#logger.debug({ err: error }, 'session call fell back to the process store');
      return local(this.#local);
    }
  }

  /** A session kept in this process; in durable mode, one only the database still has. */
  async #localLoad(id: string, options: LoadOptions, store = this.#local): Promise<SessionRecord | null> {
    if (this.#layer.state === 'memory') return null;
    const local = await store.load(id, options);
    if (local !== null || this.#durable === undefined || this.#sharedUsable()) return local;
    const saved = await this.#durable.fetch(id);
    if (saved === null || !(await store.restore(saved))) return null;
    return store.load(id, options);
  }

  /** The current copy of a session without renewing it (for the durable flusher). */
  #peek(id: string): Promise<SessionRecord | null> {
    return this.load(id, { touch: false });
  }

  /**
   * Drops the local copies of these sessions (and, with `userId`, of all the user's) here and,
   * before returning, publishes the same to every other instance.
   */
  async #changed(ids: readonly string[], userId?: string): Promise<void> {
    const cache = this.#cache;
    const channel = this.#channel;
    if (cache === undefined || channel === undefined) return;
    const handles = ids.map(sessionHandle);
    cache.invalidate(handles);
    if (userId !== undefined) cache.invalidateUser(userId);
    const until = this.#now() + cache.maxAgeMs;
    const ops: SessionInvalidation[] = [];
    if (handles.length > 0) ops.push({ s: handles });
    if (userId !== undefined) ops.push({ u: userId });
    for (const op of ops) {
      this.#sendUntil.set(op, until);
      channel.publish(op);
    }
    if (ops.length > 0) await channel.flush();
  }

  #applyRemote(ops: readonly SessionInvalidation[]): void {
    const cache = this.#cache!;
    for (const op of ops as readonly unknown[]) {
      if (typeof op !== 'object' || op === null) continue;
      if ('s' in op && Array.isArray(op.s)) cache.invalidate(op.s.filter((h) => typeof h === 'string'));
      else if ('u' in op && typeof op.u === 'string') cache.invalidateUser(op.u);
    }
  }

  /** Messages that could not be published: tried again while a copy they drop could be served. */
  #keepUnsent(ops: readonly SessionInvalidation[]): void {
    const now = this.#now();
    this.#unsent.push(...ops.filter((op) => (this.#sendUntil.get(op) ?? 0) > now));
    if (this.#unsent.length === 0 || this.#retryTimer !== undefined || this.#closed) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      const unsent = this.#unsent;
      this.#unsent = [];
      for (const op of unsent) this.#channel!.publish(op);
    }, RETRY_MS);
    this.#retryTimer.unref();
  }

  /**
   * Copies are served again once this instance receives its own probe on the channel while Redis
   * is ready; until then every read goes to Redis.
   */
  async #confirmChannel(): Promise<void> {
    const cache = this.#cache;
    const channel = this.#channel;
    if (cache === undefined || channel === undefined || this.#closed) return;
    const run = ++this.#confirmRun;
    cache.distrust();
    const live = await channel.confirm(
      () => this.#layer.state === 'ready',
      () => run === this.#confirmRun,
    );
    if (live) cache.trust();
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
    for (const [userId, requestedAt] of [...this.#pendingLogoutAll]) {
      const ended = await this.#shared.destroyUser(userId, { createdBefore: requestedAt });
      this.#pendingLogoutAll.delete(userId);
      await this.#changed(ended, userId);
    }
    if (this.#layer.state !== 'memory') {
      let moved = 0;
      for await (const batch of this.#local.ids()) {
        for (const id of batch) {
          const record = await this.#local.load(id, { touch: false });
          if (record !== null && (await this.#shared.restore(record))) moved++;
          await this.#local.destroy(id);
        }
      }
      if (moved > 0) this.#logger.info({ moved }, 'sessions made while Redis was unreachable moved to Redis');
    }
    if (this.#durable !== undefined) {
      const restored = await this.#durable.restoreInto(this.#shared);
      if (restored > 0) this.#logger.info({ restored }, 'sessions restored from the database');
    }
  }
}
