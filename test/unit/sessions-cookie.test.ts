import { describe, expect, it } from 'vitest';
import { SessionCookie } from '../../src/sessions/cookie.js';
import { addressBucket } from '../../src/sessions/login-limiter.js';
import { newSessionId } from '../../src/sessions/session-store.js';

const SECRET = 'a-session-secret-of-at-least-32-characters';
const OLD = 'the-previous-secret-also-32-characters-long';

function cookie(secrets = [SECRET], secure = false) {
  return new SessionCookie({ name: 'plexus.sid', secrets, secure, maxAgeSeconds: 3600 });
}

function value(setCookie: string): string {
  return setCookie.slice(setCookie.indexOf('=') + 1, setCookie.indexOf(';'));
}

describe('session cookie', () => {
  const id = newSessionId();

  it('is HttpOnly, SameSite=Lax, Path=/, with Max-Age, and Secure only when asked', () => {
    expect(cookie().issue(id)).toMatch(/^plexus\.sid=[^;]+; Max-Age=3600; Path=\/; HttpOnly; SameSite=Lax$/);
    expect(cookie([SECRET], true).issue(id)).toMatch(/; Secure$/);
    expect(cookie().clear()).toBe(
      'plexus.sid=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; HttpOnly; SameSite=Lax',
    );
  });

  it('reads back what it issued, among other cookies', () => {
    const signed = value(cookie().issue(id));
    expect(cookie().read(`a=1; plexus.sid=${signed}; b=2`)).toEqual({ status: 'valid', id, renew: false });
    expect(cookie().read(`plexus.sid=${encodeURIComponent(signed)}`)).toMatchObject({ status: 'valid', id });
    expect(cookie().read(`plexus.sid="${signed}"`)).toMatchObject({ status: 'valid', id });
  });

  it('tells a missing cookie from an invalid one', () => {
    expect(cookie().read(undefined)).toEqual({ status: 'none' });
    expect(cookie().read('other=1')).toEqual({ status: 'none' });
    const signed = value(cookie().issue(id));
    const flipped = `${signed.slice(0, -1)}${signed.endsWith('A') ? 'B' : 'A'}`;
    const otherId = `${newSessionId()}${signed.slice(signed.indexOf('.'))}`;
    for (const bad of [
      flipped, // tampered signature
      otherId, // another id with this signature
      id, // unsigned
      value(cookie(['an-attacker-secret-that-is-32-chars-long']).issue(id)), // forged
      `${'x'.repeat(600)}`,
      '%E0%A4%A',
      `../../etc.${signed.split('.')[1]}`,
    ]) {
      expect(cookie().read(`plexus.sid=${bad}`), bad).toEqual({ status: 'invalid' });
    }
  });

  it('accepts cookies signed with a previous secret and asks for them to be re-signed', () => {
    const signedWithOld = value(cookie([OLD]).issue(id));
    expect(cookie([SECRET, OLD]).read(`plexus.sid=${signedWithOld}`)).toEqual({
      status: 'valid',
      id,
      renew: true,
    });
    expect(cookie([SECRET]).read(`plexus.sid=${signedWithOld}`)).toEqual({ status: 'invalid' });
  });
});

describe('login rate-limit buckets', () => {
  it('keeps IPv4 addresses and groups IPv6 by /64', () => {
    expect(addressBucket('10.1.2.3')).toBe('10.1.2.3');
    expect(addressBucket('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(addressBucket('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(addressBucket('2001:db8:1:2::9')).toBe('2001:db8:1:2::/64');
    expect(addressBucket('2001:DB8:0001:0002::')).toBe('2001:db8:1:2::/64');
    expect(addressBucket('::1')).toBe('0:0:0:0::/64');
  });
});
