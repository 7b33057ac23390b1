import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode } from '../../src/apps/qr/tokens/base32.js';
import { Keyring, QRTokens, type TokenCheck, type TokenSubject } from '../../src/apps/qr/tokens/index.js';

const SECRET_A = 'secret-a-0123456789abcdef';
const SECRET_B = 'secret-b-0123456789abcdef';
const student: TokenSubject = { type: 'student', id: '24817', version: 1 };
function errorOf(check: TokenCheck): string | undefined {
  return check.ok ? undefined : check.error;
}

const QR_ALPHANUMERIC = /^[0-9A-Z $%*+\-./:]+$/;

function flipChar(token: string, index: number): string {
  const c = token[index]!;
  const replacement = c === 'A' ? 'B' : 'A';
  return token.slice(0, index) + replacement + token.slice(index + 1);
}

describe('compact tokens', () => {
  const tokens = new QRTokens(new Keyring({ id: 1, secret: SECRET_A }));

  it('round-trips numeric and textual ids of both types, in the QR alphanumeric set', () => {
    const subjects: TokenSubject[] = [
      student,
      { type: 'student', id: '0', version: 7 },
      { type: 'stall', id: 'FOOD-12', version: 1 },
      { type: 'student', id: '2021CSE.0042_b', version: 2 ** 31 - 1 },
      { type: 'student', id: '007', version: 1 },
      { type: 'student', id: '9999999999999999', version: 1 },
      { type: 'student', id: 'x'.repeat(64), version: 1 },
    ];
    for (const subject of subjects) {
      const token = tokens.issue(subject);
      expect(token).toMatch(QR_ALPHANUMERIC);
      expect(tokens.check(token)).toEqual({ ok: true, subject, keyId: 1 });
    }
  });

  it('is about 30 characters for a numeric id and is the same every time', () => {
    const token = tokens.issue(student);
    expect(token.length).toBeLessThanOrEqual(32);
    expect(tokens.issue(student)).toBe(token);
    expect(tokens.issue({ ...student, version: 2 })).not.toBe(token);
    expect(tokens.issue({ ...student, type: 'stall' })).not.toBe(token);
  });

  it('detects every single-character change', () => {
    const token = tokens.issue(student);
    for (let i = 0; i < token.length; i++) {
      const result = tokens.check(flipChar(token, i));
      expect(result.ok, `position ${i}`).toBe(false);
    }
    // A changed MAC byte is tampering; a changed payload may also be malformed.
    expect(tokens.check(flipChar(token, token.length - 3))).toEqual({ ok: false, error: 'tampered' });
  });

  it('says tampered when the payload is re-signed with another key or the MAC is forged', () => {
    const bytes = base32Decode(tokens.issue(student))!;
    // Change the id byte and keep the old MAC.
    bytes[3] = bytes[3]! ^ 2;
    expect(tokens.check(base32Encode(bytes))).toEqual({ ok: false, error: 'tampered' });
    const other = new QRTokens(new Keyring({ id: 1, secret: SECRET_B }));
    expect(tokens.check(other.issue(student))).toEqual({ ok: false, error: 'tampered' });
  });

  it('says malformed for empty, truncated, extended, lower-case and garbage input', () => {
    const token = tokens.issue(student);
    for (const bad of [
      '',
      token.slice(0, -1),
      token.slice(0, -2),
      token.slice(0, 10),
      `${token}A`,
      `${token}AA`,
      token.toLowerCase(),
      ' '.repeat(30),
      'Z'.repeat(10_240),
      '🎟'.repeat(20),
      'https://example.com/qr',
    ]) {
      expect(tokens.check(bad), JSON.stringify(bad.slice(0, 20))).toEqual({ ok: false, error: 'malformed' });
    }
  });

  it('refuses a second spelling of the same subject', () => {
    // The numeric id 42 written as the text "42" (length-prefixed) with a valid MAC.
    const key = createHmac('sha256', Buffer.from(SECRET_A)).update('plexus-qr compact token v1').digest();
    const payload = Buffer.from([0x10, 1, 1, 2, 0x34, 0x32]);
    const mac = createHmac('sha256', key).update(payload).digest().subarray(0, 12);
    expect(tokens.check(base32Encode(Buffer.concat([payload, mac])))).toEqual({
      ok: false,
      error: 'malformed',
    });
  });

  it('verifies codes of a previous key during a rotation, and not after it', () => {
    const old = new QRTokens(new Keyring({ id: 1, secret: SECRET_A }));
    const oldToken = old.issue(student);
    const rotated = new QRTokens(new Keyring({ id: 2, secret: SECRET_B }, [{ id: 1, secret: SECRET_A }]));
    expect(rotated.check(oldToken)).toEqual({ ok: true, subject: student, keyId: 1 });
    const newToken = rotated.issue(student);
    expect(newToken).not.toBe(oldToken);
    expect(rotated.check(newToken)).toEqual({ ok: true, subject: student, keyId: 2 });
    const after = new QRTokens(new Keyring({ id: 2, secret: SECRET_B }));
    expect(after.check(oldToken)).toEqual({ ok: false, error: 'tampered' });
    expect(after.check(newToken).ok).toBe(true);
  });

  it('refuses short secrets, duplicate key ids and ids it cannot encode', () => {
    expect(() => new Keyring({ id: 1, secret: 'short' })).toThrow(/at least 16/);
    expect(() => new Keyring({ id: 1, secret: SECRET_A }, [{ id: 1, secret: SECRET_B }])).toThrow(/twice/);
    expect(() => new Keyring({ id: 256, secret: SECRET_A })).toThrow(/0 to 255/);
    expect(() => tokens.issue({ type: 'student', id: 'has space', version: 1 })).toThrow(/ids/);
    expect(() => tokens.issue({ type: 'student', id: '1', version: 0 })).toThrow(/versions/);
  });
});

describe('JWT tokens', () => {
  const keyring = new Keyring({ id: 3, secret: SECRET_A });
  const jwt = new QRTokens(keyring, 'jwt');

  it('are standard HS256 JWTs signed with the raw secret', () => {
    const token = jwt.issue(student);
    const [h, p, s] = token.split('.') as [string, string, string];
    expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toEqual({
      alg: 'HS256',
      typ: 'JWT',
      kid: '3',
    });
    expect(JSON.parse(Buffer.from(p, 'base64url').toString())).toEqual({
      sub: '24817',
      qrt: 'student',
      ver: 1,
    });
    expect(createHmac('sha256', SECRET_A).update(`${h}.${p}`).digest('base64url')).toBe(s);
    expect(jwt.check(token)).toEqual({ ok: true, subject: student, keyId: 3 });
  });

  it('are verified whatever the configured format', () => {
    const compact = new QRTokens(keyring, 'compact');
    expect(compact.check(jwt.issue(student)).ok).toBe(true);
    expect(jwt.check(compact.issue(student)).ok).toBe(true);
  });

  it('reject alg none, other algorithms, unknown kids, changed claims and bad structure', () => {
    const token = jwt.issue(student);
    const [h, p, s] = token.split('.') as [string, string, string];
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const forgedPayload = enc({ sub: '1', qrt: 'student', ver: 1 });
    expect(errorOf(jwt.check(`${enc({ alg: 'none', typ: 'JWT', kid: '3' })}.${p}.${s}`))).toBe('tampered');
    expect(errorOf(jwt.check(`${enc({ alg: 'HS512', typ: 'JWT', kid: '3' })}.${p}.${s}`))).toBe('tampered');
    expect(errorOf(jwt.check(`${enc({ alg: 'HS256', typ: 'JWT', kid: '9' })}.${p}.${s}`))).toBe('tampered');
    expect(errorOf(jwt.check(`${h}.${forgedPayload}.${s}`))).toBe('tampered');
    expect(errorOf(jwt.check(`${h}.${p}.${s.slice(0, -2)}`))).toBe('malformed');
    expect(errorOf(jwt.check(`${h}.${p}`))).toBe('malformed');
    expect(errorOf(jwt.check(`${h}.${p}.${s}.x`))).toBe('malformed');
    expect(errorOf(jwt.check(`${h}.!!.${s}`))).toBe('malformed');
    expect(errorOf(jwt.check('...'))).toBe('malformed');
    expect(errorOf(jwt.check(`${'a'.repeat(5000)}.b.c`))).toBe('malformed');
    expect(errorOf(new QRTokens(new Keyring({ id: 3, secret: SECRET_B })).check(token))).toBe('tampered');
  });

  it('say malformed when a correctly signed payload is not a QR subject', () => {
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const h = enc({ alg: 'HS256', typ: 'JWT', kid: '3' });
    const p = enc({ sub: 'a b', qrt: 'teacher', ver: 1 });
    const s = createHmac('sha256', SECRET_A).update(`${h}.${p}`).digest('base64url');
    expect(jwt.check(`${h}.${p}.${s}`)).toEqual({ ok: false, error: 'malformed' });
  });
});

describe('base32', () => {
  it('round-trips every length and refuses non-canonical text', () => {
    for (let n = 0; n < 40; n++) {
      const bytes = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff));
      expect(base32Decode(base32Encode(bytes))).toEqual(bytes);
    }
    expect(base32Decode('AA')).toEqual(Buffer.from([0]));
    expect(base32Decode('AB')).toBeUndefined();
    expect(base32Decode('AC')).toBeUndefined(); // non-zero unused bits
    expect(base32Decode('A')).toBeUndefined();
    expect(base32Decode('AA=')).toBeUndefined();
    expect(base32Decode('aa')).toBeUndefined();
  });
});
