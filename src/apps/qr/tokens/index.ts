/**
 * QR tokens: issues tokens in the configured format and checks tokens of either format (a JWT
 * always contains dots, a compact token never does), so switching QR_TOKEN_FORMAT never
 * invalidates codes already handed out.
 */
import { ValidationError } from '../../../errors.js';
import { checkCompact, issueCompact } from './compact.js';
import { checkJwt, issueJwt } from './jwt.js';
import type { Keyring } from './keyring.js';
import { MAX_TOKEN_VERSION, SUBJECT_ID_PATTERN, type TokenCheck, type TokenSubject } from './types.js';

export const TOKEN_FORMATS = ['compact', 'jwt'] as const;
export type TokenFormat = (typeof TOKEN_FORMATS)[number];

export class QRTokens {
  constructor(
    readonly keyring: Keyring,
    readonly format: TokenFormat = 'compact',
  ) {}

  issue(subject: TokenSubject): string {
    if (!SUBJECT_ID_PATTERN.test(subject.id)) {
      throw new ValidationError(`QR subject ids are 1-64 letters, digits, '_', '.' or '-': ${subject.id}`);
    }
    if (!Number.isInteger(subject.version) || subject.version < 1 || subject.version > MAX_TOKEN_VERSION) {
      throw new ValidationError(`token versions are whole numbers from 1: ${subject.version}`);
    }
    return this.format === 'jwt' ? issueJwt(this.keyring, subject) : issueCompact(this.keyring, subject);
  }

  /** Structure and signature only; revocation and existence need the database (see the service). */
  check(token: string): TokenCheck {
    return token.includes('.') ? checkJwt(this.keyring, token) : checkCompact(this.keyring, token);
  }
}

export { Keyring, type KeySpec, MIN_SECRET_LENGTH, type QRKey } from './keyring.js';
export * from './types.js';
