import { describe, expect, it } from 'vitest';
import { hashPassword, scryptParams, verifyPassword } from '../../src/accounts/password.js';

const FAST = scryptParams(10, 1);

describe('password hashing (scrypt)', () => {
  it('stores a PHC string with its parameters and a random salt', async () => {
    const a = await hashPassword('correct horse battery', FAST);
    const b = await hashPassword('correct horse battery', FAST);
    expect(a).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    expect(a).not.toBe(b);
  });

  it('accepts the password and nothing else', async () => {
    const stored = await hashPassword('correct horse battery', FAST);
    expect(await verifyPassword('correct horse battery', stored, FAST)).toEqual({
      ok: true,
      outdated: false,
    });
    for (const wrong of ['correct horse batter', 'Correct horse battery', '', 'correct horse battery ']) {
      expect((await verifyPassword(wrong, stored, FAST)).ok).toBe(false);
    }
  });

  it('normalises Unicode, so composed and decomposed forms match', async () => {
    const stored = await hashPassword('caf\u00e9-p\u00e4ss', FAST);
    expect((await verifyPassword('cafe\u0301-pa\u0308ss', stored, FAST)).ok).toBe(true);
  });

  it('flags hashes made with other parameters for re-hashing', async () => {
    const stored = await hashPassword('correct horse battery', FAST);
    expect(await verifyPassword('correct horse battery', stored, scryptParams(11, 1))).toEqual({
      ok: true,
      outdated: true,
    });
  });

  it('never matches a malformed stored hash', async () => {
    for (const stored of ['', 'plain', '$scrypt$ln=10,r=8,p=1$abc', '$argon2id$v=19$m=65536,t=3,p=4$x$y']) {
      expect((await verifyPassword('anything', stored, FAST)).ok).toBe(false);
    }
  });
});
