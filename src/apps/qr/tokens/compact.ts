/**
 * Compact QR tokens: a few bytes of payload and a truncated HMAC-SHA256, in base32.
 *
 * Layout (before base32):
 *
 *   byte 0     format 1 in the high nibble; bit 2: id is numeric; bits 0–1: type (0 student, 1 stall)
 *   byte 1     key id (0–255)
 *   varint     token version (LEB128)
 *   id         numeric: varint of the number; otherwise one length byte and the ASCII id
 *   12 bytes   HMAC-SHA256(compact key of that key id, all previous bytes), truncated to 96 bits
 *
 * Student "24817", version 1: 2 + 1 + 3 + 12 = 18 bytes, 29 characters, QR version 2 at level M
 * (a JWT for the same student is about 150 characters, version 8). Tokens are deterministic:
 * the same subject, version and key always give the same token, which is what makes codes static.
 * Decoding accepts only the canonical encoding, so a valid token has exactly one spelling.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { base32Decode, base32Encode } from './base32.js';
import type { Keyring } from './keyring.js';
import {
  MAX_TOKEN_LENGTH,
  MAX_TOKEN_VERSION,
  SUBJECT_ID_PATTERN,
  SUBJECT_TYPES,
  type TokenCheck,
  type TokenSubject,
} from './types.js';

const FORMAT = 1;
const NUMERIC_ID = 0b100;
const MAC_BYTES = 12;
const CANONICAL_NUMBER = /^(0|[1-9][0-9]{0,15})$/;

/** Ids written as a varint: decimal numbers without leading zeros, up to 2^53. */
function isNumericId(id: string): boolean {
  return CANONICAL_NUMBER.test(id) && Number(id) <= Number.MAX_SAFE_INTEGER;
}

function pushVarint(out: number[], value: number): void {
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
}

function mac(key: Buffer, payload: Uint8Array): Buffer {
  return createHmac('sha256', key).update(payload).digest().subarray(0, MAC_BYTES);
}

export function issueCompact(keyring: Keyring, subject: TokenSubject): string {
  const key = keyring.signing;
  const numeric = isNumericId(subject.id);
  const bytes: number[] = [
    (FORMAT << 4) | (numeric ? NUMERIC_ID : 0) | SUBJECT_TYPES.indexOf(subject.type),
    key.id,
  ];
  pushVarint(bytes, subject.version);
  if (numeric) {
    pushVarint(bytes, Number(subject.id));
  } else {
    bytes.push(subject.id.length);
    for (let i = 0; i < subject.id.length; i++) bytes.push(subject.id.charCodeAt(i));
  }
  const payload = Uint8Array.from(bytes);
  return base32Encode(Buffer.concat([payload, mac(key.compactKey, payload)]));
}

/** Reads the fields of a decoded token; undefined when the structure is wrong. */
class Reader {
  offset = 0;
  constructor(readonly bytes: Buffer) {}

  byte(): number | undefined {
    return this.offset < this.bytes.length ? this.bytes[this.offset++] : undefined;
  }

  /** A minimally encoded varint up to 2^53. */
  varint(): number | undefined {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      if (b === undefined) return undefined;
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (b === 0 && i > 0) return undefined;
        return value <= Number.MAX_SAFE_INTEGER ? value : undefined;
      }
      scale *= 0x80;
    }
    return undefined;
  }
}

export function checkCompact(keyring: Keyring, token: string): TokenCheck {
  const malformed: TokenCheck = { ok: false, error: 'malformed' };
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return malformed;
  const bytes = base32Decode(token);
  if (bytes === undefined || bytes.length <= MAC_BYTES + 3) return malformed;

  const reader = new Reader(bytes.subarray(0, bytes.length - MAC_BYTES));
  const head = reader.byte()!;
  const keyId = reader.byte()!;
  const type = SUBJECT_TYPES[head & 0b11];
  if (head >> 4 !== FORMAT || (head & 0b1000) !== 0 || type === undefined) return malformed;
  const version = reader.varint();
  if (version === undefined || version < 1 || version > MAX_TOKEN_VERSION) return malformed;

  let id: string;
  if (head & NUMERIC_ID) {
    const n = reader.varint();
    if (n === undefined) return malformed;
    id = String(n);
  } else {
    const length = reader.byte();
    if (length === undefined || reader.offset + length !== reader.bytes.length) return malformed;
    id = reader.bytes.toString('latin1', reader.offset, reader.offset + length);
    reader.offset += length;
    // A numeric id spelled as text would be a second encoding of the same subject.
    if (!SUBJECT_ID_PATTERN.test(id) || isNumericId(id)) return malformed;
  }
  if (reader.offset !== reader.bytes.length) return malformed;

  const key = keyring.find(keyId);
  if (key === undefined) return { ok: false, error: 'tampered' };
  const expected = mac(key.compactKey, reader.bytes);
  if (!timingSafeEqual(expected, bytes.subarray(bytes.length - MAC_BYTES))) {
    return { ok: false, error: 'tampered' };
  }
  return { ok: true, subject: { type, id, version }, keyId };
}
