/**
 * Errors of accounts. Codes are stable; HTTP statuses are listed in src/server/http-errors.ts.
 *
 *   ACCOUNT_EXISTS    409  an account with that login exists already
 *   ACCOUNT_INVALID   400  a login, password or role that cannot be accepted (the message says why)
 */
import { PlexusError } from '../errors.js';

export class AccountError extends PlexusError {
  constructor(code: 'ACCOUNT_EXISTS' | 'ACCOUNT_INVALID', message: string) {
    super(code, message);
  }
}
