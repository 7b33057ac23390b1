export { ActiveSession } from './active-session.js';
export { type CookieRead, SessionCookie, type SessionCookieOptions } from './cookie.js';
export type { DurableHealth, SessionArchive } from './durable.js';
export { LoginRateLimitedError, SessionError, type SessionErrorCode } from './errors.js';
export { plexusSessions, type SessionPluginOptions } from './fastify.js';
export { LoginLimiter, type LoginLimits } from './login-limiter.js';
export type { SessionRecord, SessionUser } from './record.js';
export type { LoadOptions, NewSession, SaveResult, SessionChanges } from './session-store.js';
export { Sessions, type SessionsChanged, type SessionsHealth, type SessionsOptions } from './sessions.js';
