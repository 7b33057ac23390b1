/** What a QR token stands for, and the outcome of checking one. */

export const SUBJECT_TYPES = ['student', 'stall'] as const;
export type SubjectType = (typeof SUBJECT_TYPES)[number];

export interface TokenSubject {
  type: SubjectType;
  id: string;
  /** The subject's token version when the token was issued; bumping it revokes the token. */
  version: number;
}

/**
 * Errors a signature check can find without the database. `malformed`: not a token of ours at all
 * (empty, wrong characters, wrong length, bad structure). `tampered`: well-formed, but the MAC
 * does not match under the key it names, or names a key that is not (or no longer) accepted.
 */
export type TokenFault = 'malformed' | 'tampered';

export type TokenCheck =
  | { ok: true; subject: TokenSubject; keyId: number }
  | { ok: false; error: TokenFault };

/** Longest token either format can produce, with room to spare; longer input is refused unread. */
export const MAX_TOKEN_LENGTH = 1024;

/** Ids the token formats carry: 1–64 characters, letters, digits and `_ . -`. */
export const SUBJECT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Token versions start at 1 and are bumped by one on each revocation. */
export const MAX_TOKEN_VERSION = 2 ** 31 - 1;
