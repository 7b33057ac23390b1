/**
 * Connection tokens for clients without the session cookie: `POST /api/1/ws/:endpoint/token` (signed
 * in) returns one, the client connects with `?token=…`. A token is `<payload>.<signature>`, both
 * base64url: the payload `{ e: endpoint, u: user id, r: roles, x: expiry (epoch s) }`, the signature
 * an HMAC-SHA256 under a key derived from the session secret (so rotating SESSION_SECRET revokes
 * them; tokens live REALTIME_TOKEN_TTL_SECONDS, a minute by default). Only the current secret signs;
 * it alone verifies.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { RealtimeUser } from './connection.js';
import { RealtimeError } from './errors.js';

export interface IssuedToken {
  token: string;
  expiresAt: number;
}

export class ConnectionTokens {
  readonly #key: Buffer;
  readonly #ttlSeconds: number;

  constructor(secret: string, ttlSeconds: number) {
    this.#key = createHmac('sha256', secret).update('plexus realtime connection token v1').digest();
    this.#ttlSeconds = ttlSeconds;
  }

  issue(endpoint: string, user: RealtimeUser, now = Date.now()): IssuedToken {
    const expires = Math.floor(now / 1000) + this.#ttlSeconds;
    const payload = Buffer.from(
      JSON.stringify({ e: endpoint, u: user.id, r: user.roles, x: expires }),
    ).toString('base64url');
    return { token: `${payload}.${this.#sign(payload)}`, expiresAt: expires * 1000 };
  }

  /** The token's user; throws WS_BAD_TOKEN when it is malformed, forged, expired or for another endpoint. */
  verify(token: string, endpoint: string, now = Date.now()): RealtimeUser {
    const dot = token.indexOf('.');
    if (dot <= 0 || token.length > 4096) throw bad('malformed');
    const payload = token.slice(0, dot);
    const signature = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.#sign(payload), 'base64url');
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected))
      throw bad('bad signature');
    let claims: { e?: unknown; u?: unknown; r?: unknown; x?: unknown };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      throw bad('malformed');
    }
    if (typeof claims.x !== 'number' || claims.x * 1000 <= now) throw bad('expired');
    if (claims.e !== endpoint) throw bad(`issued for another endpoint`);
    if (
      typeof claims.u !== 'string' ||
      !Array.isArray(claims.r) ||
      !claims.r.every((r) => typeof r === 'string')
    ) {
      throw bad('malformed');
    }
    return { id: claims.u, roles: claims.r as string[] };
  }

  #sign(payload: string): string {
    return createHmac('sha256', this.#key).update(payload).digest('base64url');
  }
}

function bad(why: string): RealtimeError {
  return new RealtimeError('WS_BAD_TOKEN', `The connection token is not valid: ${why}`);
}
