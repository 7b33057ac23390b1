/**
 * JWT (HS256) QR tokens, for scanners or services that already speak JWT. Signed with the raw
 * secret of the key named by `kid`, so any HS256 library verifies them with QR_SECRET.
 *
 *   header  {"alg":"HS256","typ":"JWT","kid":"<key id>"}
 *   payload {"sub":"<id>","qrt":"student"|"stall","ver":<token version>}
 *
 * No `iat` or `exp`: codes are static and revoked by bumping the version, and leaving the time out
 * keeps the token (and so the cached image) the same every time it is issued. Only HS256 is
 * accepted; a header asking for `none` or any other algorithm is treated as tampering.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Keyring } from './keyring.js';
import {
  MAX_TOKEN_LENGTH,
  MAX_TOKEN_VERSION,
  SUBJECT_ID_PATTERN,
  SUBJECT_TYPES,
  type SubjectType,
  type TokenCheck,
  type TokenSubject,
} from './types.js';

const BASE64URL = /^[A-Za-z0-9_-]+$/;

function encodePart(value: object): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function sign(secret: Buffer, signingInput: string): Buffer {
  return createHmac('sha256', secret).update(signingInput).digest();
}

export function issueJwt(keyring: Keyring, subject: TokenSubject): string {
  const key = keyring.signing;
  const input = `${encodePart({ alg: 'HS256', typ: 'JWT', kid: String(key.id) })}.${encodePart({
    sub: subject.id,
    qrt: subject.type,
    ver: subject.version,
  })}`;
  return `${input}.${sign(key.secret, input).toString('base64url')}`;
}

function decodeJson(part: string): Record<string, unknown> | undefined {
  // base64url is only canonical when re-encoding gives back the same text.
  const bytes = Buffer.from(part, 'base64url');
  if (bytes.toString('base64url') !== part) return undefined;
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export function checkJwt(keyring: Keyring, token: string): TokenCheck {
  const malformed: TokenCheck = { ok: false, error: 'malformed' };
  const tampered: TokenCheck = { ok: false, error: 'tampered' };
  if (token.length > MAX_TOKEN_LENGTH) return malformed;
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => BASE64URL.test(p))) return malformed;
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodeJson(headerPart);
  const payload = decodeJson(payloadPart);
  const signature = Buffer.from(signaturePart, 'base64url');
  if (header === undefined || payload === undefined || signature.toString('base64url') !== signaturePart) {
    return malformed;
  }

  const kid = typeof header.kid === 'string' && /^\d{1,3}$/.test(header.kid) ? Number(header.kid) : -1;
  const key = keyring.find(kid);
  if (header.alg !== 'HS256' || key === undefined || signature.length !== 32) return tampered;
  if (!timingSafeEqual(sign(key.secret, `${headerPart}.${payloadPart}`), signature)) return tampered;

  const { sub, qrt, ver } = payload;
  if (
    typeof sub !== 'string' ||
    !SUBJECT_ID_PATTERN.test(sub) ||
    !SUBJECT_TYPES.includes(qrt as SubjectType) ||
    typeof ver !== 'number' ||
    !Number.isInteger(ver) ||
    ver < 1 ||
    ver > MAX_TOKEN_VERSION
  ) {
    return malformed;
  }
  return { ok: true, subject: { type: qrt as SubjectType, id: sub, version: ver }, keyId: kid };
}
