/**
 * The Fastify adapter. Registered on an instance (fastify-plugin: not encapsulated), it adds:
 *
 *   request.loadSession()    the session named by the signed cookie, loaded and renewed once per
 *                            request (one Redis call), or null
 *   request.requireSession() the same, or throws AUTH_REQUIRED / SESSION_INVALID / SESSION_EXPIRED
 *                            (a bad or stale cookie is also cleared)
 *   request.sessionAtHand()  the session when it is known without waiting (the local copy, or
 *                            loaded already), else undefined: hot routes answer synchronously
 *   reply.startSession(user) a new session with a fresh id (the request's previous one is ended:
 *                            no session fixation) and its cookie
 *   reply.endSession()       ends the request's session and clears the cookie
 *
 * Changes made with `session.set/unset` are saved in `onSend`, before the response leaves, so the
 * client's next request sees them; only the changed fields are written (per-field merge). A session
 * ended meanwhile (logout-all on another instance) is not brought back by that save.
 *
 * The cookie carries Max-Age = the session lifetime. It is sent again when signed with a previous
 * secret, and on the first request in each eighth of the lifetime, so an active user's cookie never
 * expires before the session does.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ActiveSession } from './active-session.js';
import { type CookieRead, cookieDue, type SessionCookie } from './cookie.js';
import { SessionError } from './errors.js';
import type { SessionRecord, SessionUser } from './record.js';
import type { Sessions } from './sessions.js';

declare module 'fastify' {
  interface FastifyRequest {
    loadSession(): Promise<ActiveSession | null>;
    requireSession(): Promise<ActiveSession>;
    sessionAtHand(): ActiveSession | undefined;
  }
  interface FastifyReply {
    startSession(user: SessionUser, data?: Record<string, unknown>): Promise<ActiveSession>;
    endSession(): Promise<void>;
  }
}

export interface SessionPluginOptions {
  sessions: Sessions;
  cookie: SessionCookie;
}

interface RequestState {
  cookie: CookieRead;
  loading: Promise<ActiveSession | null> | undefined;
  session: ActiveSession | null;
  setCookie: string | undefined;
}

function ignore(): void {}

/** Where a request keeps its session state: a decorated property (a WeakMap costs more). */
const STATE = Symbol('plexus.session');
type WithState = FastifyRequest & { [STATE]: RequestState | null | undefined };

async function sessionPlugin(app: FastifyInstance, options: SessionPluginOptions): Promise<void> {
  const { sessions, cookie } = options;
  app.decorateRequest(STATE, null);

  function state(request: FastifyRequest): RequestState {
    const holder = request as WithState;
    holder[STATE] ??= {
      cookie: cookie.read(request.headers.cookie),
      loading: undefined,
      session: null,
      setCookie: undefined,
    };
    return holder[STATE];
  }

  async function load(request: FastifyRequest, current: RequestState): Promise<ActiveSession | null> {
    if (current.cookie.status !== 'valid') return null;
    const record = await sessions.load(current.cookie.id, { ip: request.ip });
    return record === null ? null : activate(current, record);
  }

  function activate(current: RequestState, record: SessionRecord): ActiveSession {
    if (cookieDue(current.cookie, record)) current.setCookie = cookie.issue(record.id);
    current.session = new ActiveSession(record);
    return current.session;
  }

  /**
   * The session when it is known without waiting (found in the local copy now, or earlier), else
   * undefined with `current.loading` started. Makes no promise when the copy has the session.
   */
  function atHand(request: FastifyRequest, current: RequestState): ActiveSession | undefined {
    if (current.session !== null) return current.session;
    if (current.loading !== undefined) return undefined;
    // Most requests find their session in the local copy: no I/O, no async frames.
    const copy = current.cookie.status === 'valid' ? sessions.cached(current.cookie.id) : undefined;
    if (copy !== undefined) return activate(current, copy);
    current.loading = load(request, current);
    return undefined;
  }

  app.decorateRequest('loadSession', function loadSession(this: FastifyRequest) {
    const current = state(this);
    const session = atHand(this, current);
    // Found without waiting: the promise is made only now that someone asks for one.
    current.loading ??= Promise.resolve(session!);
    return current.loading;
  });

  function refuse(request: FastifyRequest): never {
    const current = state(request);
    if (current.cookie.status === 'none') throw new SessionError('AUTH_REQUIRED', 'Sign in first');
    current.setCookie = cookie.clear();
    if (current.cookie.status === 'invalid') {
      throw new SessionError('SESSION_INVALID', 'The session cookie is not valid; sign in again');
    }
    throw new SessionError('SESSION_EXPIRED', 'The session has expired or was ended; sign in again');
  }

  app.decorateRequest('sessionAtHand', function sessionAtHand(this: FastifyRequest) {
    const current = state(this);
    const session = atHand(this, current);
    // Not at hand: the load has started; whoever awaits it later gets its outcome, and a failure
    // nobody awaits is not an unhandled rejection.
    if (session === undefined) current.loading?.catch(ignore);
    return session;
  });

  app.decorateRequest('requireSession', function requireSession(this: FastifyRequest) {
    const loading = this.loadSession();
    // Found in the local copy: already settled, nothing to check.
    if (state(this).session !== null) return loading as Promise<ActiveSession>;
    return loading.then((session) => session ?? refuse(this));
  });

  app.decorateReply(
    'startSession',
    async function startSession(this: FastifyReply, user: SessionUser, data?: Record<string, unknown>) {
      const current = state(this.request);
      if (current.cookie.status === 'valid') await sessions.destroy(current.cookie.id);
      const record = await sessions.create({
        user,
        ttlMs: sessions.ttlMs,
        data,
        device: this.request.headers['user-agent'] ?? '',
        ip: this.request.ip,
      });
      current.session = new ActiveSession(record);
      current.loading = Promise.resolve(current.session);
      current.setCookie = cookie.issue(record.id);
      return current.session;
    },
  );

  app.decorateReply('endSession', async function endSession(this: FastifyReply) {
    const current = state(this.request);
    const session = await this.request.loadSession();
    if (session !== null) await sessions.destroy(session.id);
    else if (current.cookie.status === 'valid') await sessions.destroy(current.cookie.id);
    current.session = null;
    current.setCookie = cookie.clear();
  });

  // Callback style: most responses have nothing to save, and pay no promise for it.
  app.addHook('onSend', (request, reply, payload, done) => {
    // Undefined on routes of scopes made before the plugin decorated requests (e.g. a plugin
    // registered earlier), which never touch sessions.
    const current = (request as WithState)[STATE];
    if (current === null || current === undefined) return done(null, payload);
    if (current.setCookie !== undefined) reply.header('set-cookie', current.setCookie);
    const changes = current.session?.takeChanges();
    if (!current.session || !changes) return done(null, payload);
    sessions.write(current.session.id, changes).then(
      () => done(null, payload),
      (error: unknown) => done(error as Error),
    );
  });
}

/** The plugin, wrapped by fastify-plugin so its decorations reach the registering scope. */
export const plexusSessions = fp(sessionPlugin, { name: 'plexus-sessions', fastify: '5.x' });
