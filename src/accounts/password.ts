/**
 * Password hashing with scrypt (node:crypto), stored in the PHC string format:
 *
 *   $scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt, base64>$<hash, base64>
 *
 * Defaults: N = 2^15, r = 8, p = 3, a 16-byte random salt, a 32-byte hash — one of the OWASP
 * Password Storage Cheat Sheet settings (equivalent to N = 2^17, p = 1), needing 32 MiB and about
 * 0.3 s of one core per hash on a 2020s server. Each hash carries its own parameters, so they can
 * be raised later: a password checked against weaker parameters is re-hashed at that login.
 * Passwords are NFKC-normalised first, so the same password typed on another keyboard matches.
 */
import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  logN: number;
  /** Block size. */
  r: number;
  /** Parallelization. */
  p: number;
}

const SALT_BYTES = 16;
const HASH_BYTES = 32;
const BLOCK_SIZE = 8;
const PHC =
  /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

export function scryptParams(logN: number, p: number): ScryptParams {
  return { logN, r: BLOCK_SIZE, p };
}

function derive(password: string, salt: Buffer, params: ScryptParams, length: number): Promise<Buffer> {
  const N = 2 ** params.logN;
  const options: ScryptOptions = { N, r: params.r, p: params.p, maxmem: 256 * N * params.r };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, length, options, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

export async function hashPassword(password: string, params: ScryptParams): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, params, HASH_BYTES);
  return `$scrypt$ln=${params.logN},r=${params.r},p=${params.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export interface Verification {
  ok: boolean;
  /** The stored hash uses other parameters than `current`: store a new one. */
  outdated: boolean;
}

/** Checks a password in constant time; a malformed stored hash never matches. */
export async function verifyPassword(
  password: string,
  stored: string,
  current: ScryptParams,
): Promise<Verification> {
  const match = PHC.exec(stored);
  if (match === null) return { ok: false, outdated: true };
  const params = { logN: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  const salt = Buffer.from(match[4]!, 'base64');
  const expected = Buffer.from(match[5]!, 'base64');
  const actual = await derive(password, salt, params, expected.length);
  return {
    ok: timingSafeEqual(actual, expected),
    outdated: params.logN !== current.logN || params.r !== current.r || params.p !== current.p,
  };
}
