/**
 * Rotating roll-call codes, issued and verified by any instance without shared state.
 *
 * A code is `<session>.<window>.<key>.<mac>`: the session id, the time window
 * (`floor(now / period)`, base 36), the signing key's id (base 36) and the first 12 bytes of
 * HMAC-SHA256(key, "att1|<session>|<window>") in base64url. Every instance with the same secret
 * computes the same code for the same window, so a display served by one instance shows a code
 * every other instance accepts. A code verifies while its window is the current or the previous
 * one (a scan made just before a change still counts), or the next one within the allowed clock
 * skew (another instance's clock may run slightly ahead). A retired key (ATTENDANCE_PREVIOUS_*)
 * still verifies during a key rotation.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '../../errors.js';

export interface CodeKey {
  id: number;
  secret: string;
}

export type CodeCheck =
  | { ok: true; sessionId: string; window: number }
  | { ok: false; reason: 'malformed' | 'forged' | 'expired'; sessionId?: string };

export const SESSION_ID_PATTERN = /^[a-z0-9]{6,32}$/;
const CODE_PATTERN = /^([a-z0-9]{6,32})\.([0-9a-z]{1,11})\.([0-9a-z]{1,2})\.([A-Za-z0-9_-]{16})$/;
const MAC_BYTES = 12;
export const MIN_CODE_SECRET_LENGTH = 16;

export class RotatingCodes {
  readonly periodMs: number;
  readonly #signing: { id: number; key: Buffer };
  readonly #keys = new Map<number, Buffer>();
  readonly #skewMs: number;
  readonly #now: () => number;

  constructor(options: {
    current: CodeKey;
    previous?: CodeKey;
    periodMs: number;
    skewMs: number;
    now?: () => number;
  }) {
    this.periodMs = options.periodMs;
    this.#skewMs = options.skewMs;
    this.#now = options.now ?? Date.now;
    for (const spec of [options.current, ...(options.previous ? [options.previous] : [])]) {
      if (spec.secret.length < MIN_CODE_SECRET_LENGTH) {
        throw new ConfigError(
          'ATTENDANCE_SECRET',
          `secrets must be at least ${MIN_CODE_SECRET_LENGTH} characters`,
        );
      }
      if (this.#keys.has(spec.id))
        throw new ConfigError('ATTENDANCE_PREVIOUS_KEY_ID', `key id ${spec.id} used twice`);
      this.#keys.set(spec.id, Buffer.from(spec.secret, 'utf8'));
    }
    this.#signing = { id: options.current.id, key: this.#keys.get(options.current.id)! };
  }

  /** The window a time falls in. */
  windowAt(time = this.#now()): number {
    return Math.floor(time / this.periodMs);
  }

  /** When a window ends (ms since the epoch). */
  windowEnd(window: number): number {
    return (window + 1) * this.periodMs;
  }

  /** The code of a session for a window (the current one by default). */
  issue(sessionId: string, window = this.windowAt()): string {
    const mac = sign(this.#signing.key, sessionId, window);
    return `${sessionId}.${window.toString(36)}.${this.#signing.id.toString(36)}.${mac}`;
  }

  /**
   * A check-in ticket: given to a student who opened a fresh code, bound to the session, the
   * student and an expiry (`<session>.<expiry>.<key>.<mac>`), so that taking a photo may take
   * longer than the code's two windows. Useless to anyone else: the check-in uses the signed-in
   * student's id, which the MAC covers.
   */
  issueTicket(sessionId: string, studentId: string, ttlMs: number): string {
    const expiry = Math.ceil((this.#now() + ttlMs) / 1000);
    const mac = signTicket(this.#signing.key, sessionId, studentId, expiry);
    return `${sessionId}.${expiry.toString(36)}.${this.#signing.id.toString(36)}.${mac}`;
  }

  checkTicket(ticket: string, studentId: string): CodeCheck {
    const match = CODE_PATTERN.exec(ticket);
    if (match === null) return { ok: false, reason: 'malformed' };
    const [, sessionId, expiryText, keyText, mac] = match as unknown as [
      string,
      string,
      string,
      string,
      string,
    ];
    const expiry = Number.parseInt(expiryText, 36);
    const key = this.#keys.get(Number.parseInt(keyText, 36));
    if (key === undefined) return { ok: false, reason: 'forged', sessionId };
    const expected = Buffer.from(signTicket(key, sessionId, studentId, expiry), 'utf8');
    if (!timingSafeEqual(expected, Buffer.from(mac, 'utf8')))
      return { ok: false, reason: 'forged', sessionId };
    if (expiry * 1000 < this.#now()) return { ok: false, reason: 'expired', sessionId };
    return { ok: true, sessionId, window: this.windowAt() };
  }

  check(code: string): CodeCheck {
    const match = CODE_PATTERN.exec(code);
    if (match === null) return { ok: false, reason: 'malformed' };
    const [, sessionId, windowText, keyText, mac] = match as unknown as [
      string,
      string,
      string,
      string,
      string,
    ];
    const window = Number.parseInt(windowText, 36);
    const key = this.#keys.get(Number.parseInt(keyText, 36));
    if (key === undefined || !Number.isSafeInteger(window)) return { ok: false, reason: 'forged', sessionId };
    const expected = Buffer.from(sign(key, sessionId, window), 'utf8');
    if (!timingSafeEqual(expected, Buffer.from(mac, 'utf8')))
      return { ok: false, reason: 'forged', sessionId };
    const now = this.#now();
    const current = this.windowAt(now);
    if (window === current || window === current - 1) return { ok: true, sessionId, window };
    if (window === current + 1 && window * this.periodMs - now <= this.#skewMs) {
      return { ok: true, sessionId, window };
    }
    return window < current
      ? { ok: false, reason: 'expired', sessionId }
      : { ok: false, reason: 'forged', sessionId };
  }
}

function signTicket(key: Buffer, sessionId: string, studentId: string, expiry: number): string {
  return createHmac('sha256', key)
    .update(`att1t|${sessionId}|${studentId}|${expiry}`)
    .digest()
    .subarray(0, MAC_BYTES)
    .toString('base64url');
}

function sign(key: Buffer, sessionId: string, window: number): string {
  return createHmac('sha256', key)
    .update(`att1|${sessionId}|${window}`)
    .digest()
    .subarray(0, MAC_BYTES)
    .toString('base64url');
}
