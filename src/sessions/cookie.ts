/**
 * The session cookie: `<name>=<session id>.<HMAC-SHA256 signature>` (the @fastify/cookie signer:
 * base64 without padding), HttpOnly, SameSite=Lax, Path=/, Secure when configured, Max-Age = the
 * session lifetime. Signing with SESSION_SECRET means a cookie names only sessions this deployment
 * issued; previous secrets still verify (rotation) and such cookies are re-signed.
 *
 * Reading never throws: a request carries no cookie, an invalid one (malformed, forged, tampered
 * with), or a genuine session id.
 */
import { signerFactory } from '@fastify/cookie';
import type { SessionRecord } from './record.js';

export type CookieRead =
  | { status: 'none' }
  | { status: 'invalid' }
  | { status: 'valid'; id: string /** Signed with a previous secret: send it again. */; renew: boolean };

export interface SessionCookieOptions {
  name: string;
  /** The first signs; all verify. */
  secrets: readonly string[];
  secure: boolean;
  /** Max-Age in seconds. */
  maxAgeSeconds: number;
}

/** Session ids are base64url; anything else in the value part is refused before verifying. */
const ID_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;
const MAX_COOKIE_LENGTH = 512;

/** Verified cookie values remembered, so a session's later requests skip the HMAC. */
const VERIFIED_CACHE_SIZE = 10_000;

export class SessionCookie {
  readonly name: string;
  readonly #signer: ReturnType<typeof signerFactory>;
  /** Only genuine values are kept (only this server can make them); cleared when full. */
  readonly #verified = new Map<string, CookieRead>();
  readonly #attributes: string;
  readonly #clear: string;

  constructor(options: SessionCookieOptions) {
    this.name = options.name;
    this.#signer = signerFactory([...options.secrets]);
    const flags = `Path=/; HttpOnly; SameSite=Lax${options.secure ? '; Secure' : ''}`;
    this.#attributes = `Max-Age=${options.maxAgeSeconds}; ${flags}`;
    this.#clear = `${this.name}=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; ${flags}`;
  }

  /** The Set-Cookie value that gives the client this session. */
  issue(id: string): string {
    return `${this.name}=${this.#signer.sign(id)}; ${this.#attributes}`;
  }

  /** The Set-Cookie value that removes the cookie. */
  clear(): string {
    return this.#clear;
  }

  /** Reads the session cookie from a Cookie header. */
  read(header: string | undefined): CookieRead {
    const raw = header === undefined ? undefined : findCookie(header, this.name);
    if (raw === undefined) return { status: 'none' };
    const known = this.#verified.get(raw);
    if (known !== undefined) return known;
    if (raw.length > MAX_COOKIE_LENGTH) return { status: 'invalid' };
    let value = raw;
    if (value.includes('%')) {
      try {
        value = decodeURIComponent(value);
      } catch {
        return { status: 'invalid' };
      }
    }
    const result = this.#signer.unsign(value);
    if (!result.valid || result.value === null || !ID_PATTERN.test(result.value))
      return { status: 'invalid' };
    const verified: CookieRead = { status: 'valid', id: result.value, renew: result.renew };
    if (this.#verified.size >= VERIFIED_CACHE_SIZE) this.#verified.clear();
    this.#verified.set(raw, verified);
    return verified;
  }
}

/**
 * Whether the response to a request that read `record` through this cookie must send the cookie
 * again: it was signed with a previous secret, or this is the session's first request in a new
 * eighth of its lifetime (so an active user's cookie never expires before the session does).
 */
export function cookieDue(read: CookieRead, record: Readonly<SessionRecord>): boolean {
  if (read.status === 'valid' && read.renew) return true;
  if (record.previousSeenAt === undefined) return false;
  const window = Math.max(1000, Math.floor(record.ttlMs / 8));
  return Math.floor(record.previousSeenAt / window) !== Math.floor(record.lastSeenAt / window);
}

/** The value of the first cookie called `name` in a Cookie header (RFC 6265 syntax). */
function findCookie(header: string, name: string): string | undefined {
  let start = 0;
  while (start < header.length) {
    let end = header.indexOf(';', start);
    if (end === -1) end = header.length;
    const eq = header.indexOf('=', start);
    if (eq !== -1 && eq < end && header.slice(start, eq).trim() === name) {
      let value = header.slice(eq + 1, end).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      return value;
    }
    start = end + 1;
  }
  return undefined;
}
