/**
 * An express-session Store over Plexus sessions, so Express apps share sessions (and logout-all)
 * with every instance and with the Fastify adapter:
 *
 *   app.use(session({ store: new PlexusSessionStore(plexus.sessions), secret, resave: false,
 *                     saveUninitialized: false, cookie: { httpOnly: true, sameSite: 'lax' } }));
 *
 * Concurrent requests of one session: each save writes only the top-level fields that request
 * changed compared with what it loaded, and removes only the fields it deleted; fields changed by
 * other requests meanwhile are kept (the later save wins a field both changed). The store learns
 * what a request loaded through `createSession`, which express-session calls for every session it
 * reads from the store. A session it has never read (a new one) is written whole. A save for a
 * session that was ended meanwhile (logout, logout-all) is dropped rather than reviving it.
 *
 * `req.session.userId` (option `userField`) is the session's user: setting it adds the session to
 * that user's index, so `sessions.destroyUser` (logout-all) ends it on every instance. The lifetime
 * of each session follows its cookie (maxAge or expires), else the Plexus default.
 */
import session from 'express-session';
import type { SessionRecord } from './record.js';
import type { SessionChanges } from './session-store.js';
import type { Sessions } from './sessions.js';

type SessionData = session.SessionData;
type Callback<T = void> = (error: unknown, value?: T) => void;

export interface PlexusSessionStoreOptions {
  /** The session field that holds the user id (default `userId`). */
  userField?: string;
}

/** What a request loaded: each field's JSON, and the user. */
interface Loaded {
  fields: Map<string, string>;
  userId: string | null;
}

export class PlexusSessionStore extends session.Store {
  readonly #sessions: Sessions;
  readonly #userField: string;
  readonly #loaded = new WeakMap<object, Loaded>();

  constructor(sessions: Sessions, options: PlexusSessionStoreOptions = {}) {
    super();
    this.#sessions = sessions;
    this.#userField = options.userField ?? 'userId';
  }

  override get(sid: string, callback: Callback<SessionData | null>): void {
    settle(
      this.#sessions
        .load(sid, { touch: false })
        .then((record) => (record === null ? null : this.#toData(record))),
      callback,
    );
  }

  override set(sid: string, data: SessionData, callback?: Callback): void {
    settle(this.#save(sid, data), callback);
  }

  override destroy(sid: string, callback?: Callback): void {
    settle(
      this.#sessions.destroy(sid).then(() => undefined),
      callback,
    );
  }

  override touch(sid: string, data: SessionData, callback?: () => void): void {
    settle(
      this.#sessions.touch(sid, this.#ttl(data), cookieJson(data)).then(() => undefined),
      callback,
    );
  }

  override all(callback: Callback<Record<string, SessionData>>): void {
    settle(
      (async () => {
        const all: Record<string, SessionData> = {};
        for await (const batch of this.#sessions.ids()) {
          const records = await Promise.all(batch.map((id) => this.#sessions.load(id, { touch: false })));
          for (const record of records) if (record !== null) all[record.id] = this.#toData(record);
        }
        return all;
      })(),
      callback,
    );
  }

  override length(callback: Callback<number>): void {
    settle(this.#sessions.count(), callback);
  }

  override clear(callback?: Callback): void {
    settle(this.#sessions.clear(), callback);
  }

  /** Called by express-session for every session read from the store: remember what was loaded. */
  override createSession(request: Parameters<session.Store['createSession']>[0], data: SessionData) {
    const created = super.createSession(request, data);
    this.#loaded.set(created, this.#snapshot(created));
    return created;
  }

  async #save(sid: string, data: SessionData): Promise<void> {
    const current = this.#snapshot(data);
    const loaded = this.#loaded.get(data);
    const ttlMs = this.#ttl(data);
    const cookie = cookieJson(data);
    const user = current.userId === null ? null : { id: current.userId };
    const all = Object.fromEntries([...current.fields].map(([name, json]) => [name, JSON.parse(json)]));
    let result: Awaited<ReturnType<Sessions['write']>>;
    if (loaded === undefined) {
      result = await this.#sessions.write(sid, { set: all, user, ttlMs, cookie }, 'replace');
    } else {
      const changes: SessionChanges = {
        set: Object.fromEntries(
          [...current.fields]
            .filter(([name, json]) => loaded.fields.get(name) !== json)
            .map(([name]) => [name, all[name]]),
        ),
        unset: [...loaded.fields.keys()].filter((name) => !current.fields.has(name)),
        ttlMs,
        cookie,
      };
      if (current.userId !== loaded.userId) changes.user = user;
      result = await this.#sessions.write(sid, changes, 'update');
    }
    // A second save in the same request compares with what the first one wrote.
    if (result !== null) this.#loaded.set(data, current);
  }

  #snapshot(data: SessionData): Loaded {
    const fields = new Map<string, string>();
    let userId: string | null = null;
    for (const [name, value] of Object.entries(data)) {
      if (name === 'cookie' || value === undefined || typeof value === 'function') continue;
      if (name === this.#userField) userId = value === null ? null : String(value);
      else fields.set(name, JSON.stringify(value));
    }
    return { fields, userId };
  }

  #toData(record: SessionRecord): SessionData {
    const data: Record<string, unknown> = { ...record.data };
    if (record.user !== null) data[this.#userField] = record.user.id;
    data['cookie'] = record.cookie ?? {
      originalMaxAge: record.ttlMs,
      expires: new Date(record.expiresAt).toISOString(),
      httpOnly: true,
      path: '/',
      sameSite: 'lax',
    };
    return data as unknown as SessionData;
  }

  /** The lifetime the cookie asks for, else the Plexus default. */
  #ttl(data: SessionData): number {
    const cookie = data.cookie as (SessionData['cookie'] & { expires?: Date | string | null }) | undefined;
    const expires = cookie?.expires;
    if (expires !== undefined && expires !== null) {
      const left = new Date(expires).getTime() - Date.now();
      if (Number.isFinite(left)) return Math.max(1000, left);
    }
    const maxAge = cookie?.originalMaxAge;
    return typeof maxAge === 'number' && maxAge > 0 ? maxAge : this.#sessions.ttlMs;
  }
}

function cookieJson(data: SessionData): Record<string, unknown> | undefined {
  return data.cookie === undefined
    ? undefined
    : (JSON.parse(JSON.stringify(data.cookie)) as Record<string, unknown>);
}

function settle<T>(promise: Promise<T>, callback: Callback<T> | (() => void) | undefined): void {
  promise.then(
    (value) => (callback as Callback<T> | undefined)?.(null, value),
    (error: unknown) => (callback as Callback<T> | undefined)?.(error),
  );
}
