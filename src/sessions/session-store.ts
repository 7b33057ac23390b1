/**
 * `SessionStore`: sessions and the user → sessions index over one `Store` — a `RedisStore` (shared
 * by every instance) or a `MemoryStore` (this process only). The same code and scripts run on
 * both; test/conformance/sessions-store.test.ts runs one suite against each.
 *
 * Keys (src/redis/keys.ts, `sessions`):
 *   sess:<id>        hash, the session (fields in record.ts), expires with the session (rolling)
 *   sess-user:<uid>  the user's index (user-index.ts)
 *
 * Guarantees:
 * - A session is renewed on read (one script call: read + rolling expiry + last seen), at most once
 *   per RENEWAL_GRANULARITY_MS.
 * - The index covers every live session of a user: a session is added to it before it gets the
 *   user, and is never renewed past its entry's score (refreshed every ttl/4 while in use), so
 *   logout-all finds every session of the user, on every instance.
 * - A save of a session that has ended is dropped: logout is never undone by a late write.
 * - Saves merge per data field (see session_save.lua); `replace` overwrites all data.
 */
import { randomBytes } from 'node:crypto';
import type { Keys } from '../redis/keys.js';
import type { Store } from '../redis/store.js';
import { SessionError } from './errors.js';
import {
  decodeSession,
  encodeClaims,
  encodeSession,
  encodeValue,
  fieldsFromFlat,
  type SessionRecord,
  type SessionUser,
} from './record.js';
import {
  sessionDestroy,
  sessionEpoch,
  sessionLoad,
  sessionMark,
  sessionRestore,
  sessionSave,
} from './scripts.js';
import { indexInterval, UserIndex } from './user-index.js';

/** 32 random bytes, base64url: 256 bits, unguessable. */
export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

export interface NewSession {
  /** Chosen by express-session; generated otherwise. */
  id?: string;
  user: SessionUser | null;
  ttlMs: number;
  data?: Record<string, unknown>;
  device?: string;
  ip?: string;
  cookie?: Record<string, unknown>;
}

export interface SessionChanges {
  /** Data fields to write (top-level names; values must serialize to JSON). */
  set?: Record<string, unknown>;
  /** Data fields to remove. */
  unset?: readonly string[];
  /** New owner; `null` makes the session anonymous; omitted keeps it. Needs `ttlMs`. */
  user?: SessionUser | null;
  ttlMs?: number;
  cookie?: Record<string, unknown>;
}

export interface LoadOptions {
  /** Renew the rolling expiry and record the visit (default true). */
  touch?: boolean;
  /** Client address recorded as last seen. */
  ip?: string;
}

export interface SaveResult {
  version: number;
  /** The user the session had before this save. */
  previousUserId: string | null;
}

export class SessionStore {
  readonly #users: UserIndex;

  constructor(
    readonly store: Store,
    readonly keys: Keys,
    private readonly now: () => number = Date.now,
  ) {
    this.#users = new UserIndex(store, keys, now);
  }

  /** Creates a session; the id must be new (a fresh random one unless given). */
  async create(input: NewSession): Promise<SessionRecord> {
    const id = input.id ?? newSessionId();
    const now = this.now();
    const due = input.user === null ? undefined : now + indexInterval(input.ttlMs);
    if (input.user !== null) await this.#users.add(input.user.id, [id], due! + input.ttlMs);
    const reply = await this.#save(id, now, 'create', {
      ttlMs: input.ttlMs,
      user: input.user,
      due,
      device: input.device,
      ip: input.ip,
      cookie: input.cookie,
      set: input.data ?? {},
      unset: [],
    });
    if (reply.version === -1)
      throw new SessionError('SESSION_ID_TAKEN', 'The new session id is already in use');
    return {
      id,
      user: input.user,
      data: { ...(input.data ?? {}) },
      createdAt: now,
      lastSeenAt: now,
      expiresAt: now + input.ttlMs,
      ttlMs: input.ttlMs,
      version: reply.version,
      device: input.device ?? '',
      ip: input.ip ?? '',
      indexDueAt: due ?? 0,
      cookie: input.cookie ?? null,
    };
  }

  /**
   * Applies changes to an existing session (`update`, per-field merge), or writes the whole
   * session whether or not it exists (`replace`). Returns null when an `update` finds no session.
   */
  async write(
    id: string,
    changes: SessionChanges,
    mode: 'update' | 'replace' = 'update',
  ): Promise<SaveResult | null> {
    const now = this.now();
    const userChanges = changes.user !== undefined;
    if (userChanges && changes.ttlMs === undefined) throw new TypeError('changing the user needs ttlMs');
    const due = changes.user ? now + indexInterval(changes.ttlMs!) : undefined;
    if (changes.user) await this.#users.add(changes.user.id, [id], due! + changes.ttlMs!);
    const reply = await this.#save(id, now, mode, {
      ttlMs: changes.ttlMs,
      user: changes.user,
      due,
      cookie: changes.cookie,
      set: changes.set ?? {},
      unset: changes.unset ?? [],
    });
    if (reply.version <= 0) return null;
    const previousUserId = reply.previous === '' ? null : reply.previous;
    if (previousUserId !== null && userChanges && previousUserId !== changes.user?.id) {
      await this.#users.remove(previousUserId, [id]);
    }
    // Writes renew the session too (the Express store renews by writing): keep its entry ahead.
    const userId = userChanges ? (changes.user?.id ?? null) : previousUserId;
    if (userId !== null && reply.due !== undefined && reply.due <= now) {
      await this.#refreshIndex(id, userId, reply.ttlMs, now);
    }
    return { version: reply.version, previousUserId };
  }

  /** Reads a session (renewing it unless `touch: false`); null when it does not exist. */
  async load(id: string, options: LoadOptions = {}): Promise<SessionRecord | null> {
    const now = this.now();
    const touch = options.touch !== false;
    const reply = await this.store.runScript(
      sessionLoad,
      [this.keys.sessions.session(id)],
      [now, touch ? '1' : '0', options.ip ?? '', RENEWAL_GRANULARITY_MS],
    );
    if (!Array.isArray(reply)) return null;
    const record = decodeSession(id, fieldsFromFlat(reply));
    const recent = now >= record.lastSeenAt && now - record.lastSeenAt < renewalStep(record.ttlMs);
    if (touch && !recent) {
      record.previousSeenAt = record.lastSeenAt;
      record.lastSeenAt = now;
      record.expiresAt = cappedExpiry(now, record);
      if (options.ip) record.ip = options.ip;
    }
    if (touch && record.user !== null && record.indexDueAt <= now) {
      record.indexDueAt = await this.#refreshIndex(id, record.user.id, record.ttlMs, now);
    }
    return record;
  }

  /**
   * Puts back a session kept elsewhere (the database, or this process during an outage) unless one
   * with its id exists. Returns false when it exists already or has expired.
   */
  async restore(record: SessionRecord): Promise<boolean> {
    const now = this.now();
    if (record.expiresAt <= now) return false;
    const copy = { ...record };
    if (copy.user !== null) {
      copy.indexDueAt = now + indexInterval(copy.ttlMs);
      await this.#users.add(copy.user.id, [copy.id], copy.indexDueAt + copy.ttlMs);
    }
    const reply = await this.store.runScript(
      sessionRestore,
      [this.keys.sessions.session(copy.id)],
      [now, copy.expiresAt, ...Object.entries(encodeSession(copy)).flat()],
    );
    return reply === 1;
  }

  /**
   * Ends a session; with `onlyUserId`, only if it belongs to that user; with `epoch`, only if it
   * was valid before it (epochs.ts). Returns its user id.
   */
  async destroy(id: string, onlyUserId?: string, epoch?: number): Promise<{ userId: string | null } | null> {
    const reply = await this.store.runScript(
      sessionDestroy,
      [this.keys.sessions.session(id)],
      [onlyUserId ?? '', epoch ?? ''],
    );
    if (typeof reply !== 'string') return null;
    if (reply !== '') await this.#users.remove(reply, [id]);
    return { userId: reply === '' ? null : reply };
  }

  /** Raises the user's logout epoch (never lowers it), kept at least `keepMs`; returns it. */
  async raiseEpoch(userId: string, epoch: number, keepMs: number): Promise<number> {
    const reply = await this.store.runScript(
      sessionEpoch,
      [this.keys.sessions.epoch(userId)],
      [epoch, Math.max(1, Math.ceil(keepMs))],
    );
    return Number(reply);
  }

  /** The user's logout epoch; 0 when none. */
  async epoch(userId: string): Promise<number> {
    const raw = await this.store.get(this.keys.sessions.epoch(userId));
    return raw === null ? 0 : Number(raw);
  }

  /** Leaves a tombstone of a session ended here, which a later move back from elsewhere checks. */
  async markEnded(id: string, keepMs: number): Promise<void> {
    await this.store.set(this.keys.sessions.ended(id), '1', { px: Math.max(1, Math.ceil(keepMs)) });
  }

  isEnded(id: string): Promise<boolean> {
    return this.store.exists(this.keys.sessions.ended(id));
  }

  /** Makes a session survive the logout epoch `epoch` (a logout-all that keeps it). */
  async keep(id: string, epoch: number): Promise<boolean> {
    return (await this.store.runScript(sessionMark, [this.keys.sessions.session(id)], ['g', epoch])) === 1;
  }

  /** The live sessions of a user, most recently seen first. Prunes entries of ended sessions. */
  async listUser(userId: string): Promise<SessionRecord[]> {
    const ids = await this.#users.ids(userId);
    const records = await Promise.all(ids.map((id) => this.load(id, { touch: false })));
    const live = records.filter((r): r is SessionRecord => r !== null && r.user?.id === userId);
    const gone = ids.filter((id) => !live.some((r) => r.id === id));
    if (gone.length > 0) await this.#users.remove(userId, gone);
    return live.sort((a, b) => b.lastSeenAt - a.lastSeenAt);
  }

  /**
   * Ends every session of a user (except `exceptId`), wherever it is used. With `epoch`, only the
   * sessions valid before it (a later login survives). Returns the ids ended.
   */
  async destroyUser(userId: string, options: { exceptId?: string; epoch?: number } = {}): Promise<string[]> {
    const ids = (await this.#users.ids(userId, true)).filter((id) => id !== options.exceptId);
    const ended: string[] = [];
    const kept = new Set<string>();
    await Promise.all(
      ids.map(async (id) => {
        const reply = await this.store.runScript(
          sessionDestroy,
          [this.keys.sessions.session(id)],
          [userId, options.epoch ?? ''],
        );
        if (typeof reply === 'string') ended.push(id);
        else if (reply === 0) kept.add(id);
      }),
    );
    // Entries of sessions that were already gone, or now belong to someone else, go too.
    await this.#users.remove(
      userId,
      ids.filter((id) => !kept.has(id)),
    );
    return ended;
  }

  /** Every session id, in batches (SCAN; every master on Cluster). */
  async *ids(): AsyncIterable<string[]> {
    const prefixLength = this.keys.sessions.session('').length;
    for await (const batch of this.store.scan(this.keys.sessions.allSessions())) {
      yield batch.map((key) => key.slice(prefixLength));
    }
  }

  async count(): Promise<number> {
    let count = 0;
    for await (const batch of this.ids()) count += batch.length;
    return count;
  }

  /** Ends every session (and empties the indexes through their owners). */
  async clear(): Promise<number> {
    let ended = 0;
    for await (const batch of this.ids()) {
      const results = await Promise.all(batch.map((id) => this.destroy(id)));
      ended += results.filter((r) => r !== null).length;
    }
    return ended;
  }

  /** Moves the session's index entry (and so its renewal cap) a quarter lifetime on. */
  async #refreshIndex(id: string, userId: string, ttlMs: number, now: number): Promise<number> {
    const due = now + indexInterval(ttlMs);
    await this.#users.add(userId, [id], due + ttlMs);
    await this.store.runScript(sessionMark, [this.keys.sessions.session(id)], ['x', due]);
    return due;
  }

  async #save(
    id: string,
    now: number,
    mode: 'create' | 'update' | 'replace',
    fields: {
      ttlMs: number | undefined;
      user: SessionUser | null | undefined;
      due: number | undefined;
      device?: string | undefined;
      ip?: string | undefined;
      cookie: Record<string, unknown> | undefined;
      set: Record<string, unknown>;
      unset: readonly string[];
    },
  ): Promise<{ version: number; previous: string; due: number | undefined; ttlMs: number }> {
    const set = Object.entries(fields.set).filter(([, value]) => value !== undefined);
    const unset = [
      ...fields.unset,
      ...Object.entries(fields.set)
        .filter(([, value]) => value === undefined)
        .map(([name]) => name),
    ];
    const user = fields.user === undefined ? '' : fields.user === null ? '-' : `=${fields.user.id}`;
    const reply = await this.store.runScript(
      sessionSave,
      [this.keys.sessions.session(id)],
      [
        now,
        mode,
        fields.ttlMs ?? '',
        user,
        fields.user ? encodeClaims(fields.user) : '',
        truncate(fields.device ?? '', 256),
        fields.ip ?? '',
        fields.cookie === undefined ? '' : JSON.stringify(fields.cookie),
        fields.due ?? '',
        set.length,
        ...set.flatMap(([name, value]) => [name, encodeValue(value)]),
        ...unset,
      ],
    );
    const [version, previous, due, ttlMs] = Array.isArray(reply) ? reply : [0, '', '', 0];
    return {
      version: Number(version),
      previous: String(previous ?? ''),
      due: due === '' || due === null || due === undefined ? undefined : Number(due),
      ttlMs: Number(ttlMs),
    };
  }
}

/**
 * A session read within this long (or a tenth of its lifetime, if less) of its last renewal is not
 * renewed again: expiry and last seen move in such steps, and a burst of requests costs Redis one
 * write, not one each.
 */
export const RENEWAL_GRANULARITY_MS = 5000;

/** How long after its last renewal a session with this lifetime is renewed again. */
export function renewalStep(ttlMs: number): number {
  return Math.min(RENEWAL_GRANULARITY_MS, ttlMs / 10);
}

function cappedExpiry(now: number, record: SessionRecord): number {
  const expires = now + record.ttlMs;
  return record.user !== null && expires > record.indexDueAt + record.ttlMs
    ? record.indexDueAt + record.ttlMs
    : expires;
}

function truncate(text: string, max: number): string {
  return text.length > max ? text.slice(0, max) : text;
}
