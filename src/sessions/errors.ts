/**
 * Errors of sessions and login. Each code is stable; the HTTP status of each is listed in
 * src/server/http-errors.ts.
 *
 *   AUTH_REQUIRED          401  no session cookie
 *   SESSION_INVALID        401  the cookie is malformed or its signature is wrong (forged, tampered)
 *   SESSION_EXPIRED        401  the cookie is genuine but its session has expired or was ended
 *   INVALID_CREDENTIALS    401  wrong password or unknown login (deliberately indistinguishable)
 *   ACCOUNT_DISABLED       403  the password is right but the account is disabled
 *   LOGIN_RATE_LIMITED     429  too many attempts for this login or this address; see retryAfterMs
 *   SESSION_NOT_FOUND      404  no such session among the caller's
 *   SESSION_ID_TAKEN       500  a new session's id is in use (only with caller-chosen ids)
 */
import { PlexusError } from '../errors.js';

export type SessionErrorCode =
  | 'AUTH_REQUIRED'
  | 'SESSION_INVALID'
  | 'SESSION_EXPIRED'
  | 'INVALID_CREDENTIALS'
  | 'ACCOUNT_DISABLED'
  | 'SESSION_NOT_FOUND'
  | 'SESSION_ID_TAKEN';

/** Each code's HTTP status (src/server/http-errors.ts maps them with every other code). */
export const SESSION_ERROR_STATUS: Readonly<Record<SessionErrorCode, number>> = {
  AUTH_REQUIRED: 401,
  SESSION_INVALID: 401,
  SESSION_EXPIRED: 401,
  INVALID_CREDENTIALS: 401,
  ACCOUNT_DISABLED: 403,
  SESSION_NOT_FOUND: 404,
  SESSION_ID_TAKEN: 500,
};

export class SessionError extends PlexusError {
  declare readonly code: SessionErrorCode;
  /**
   * The HTTP status, under the name Fastify's and Express's default error handlers read: a route
   * of the user's own app that calls `request.requireSession()` answers 401, not 500.
   */
  readonly statusCode: number;
  constructor(code: SessionErrorCode, message: string) {
    super(code, message);
    this.statusCode = SESSION_ERROR_STATUS[code];
  }
}

export class LoginRateLimitedError extends PlexusError {
  /** How long until an attempt is allowed again. */
  readonly retryAfterMs: number;
  constructor(scope: 'account' | 'address', retryAfterMs: number) {
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    super('LOGIN_RATE_LIMITED', `Too many login attempts for this ${scope}; try again in ${seconds} s`, {
      details: { scope, retryAfterMs },
    });
    this.retryAfterMs = retryAfterMs;
  }
}
