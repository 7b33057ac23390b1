/**
 * Rotating roll-call codes: any instance with the same key issues and verifies the same code; the
 * current and previous windows verify, older ones are expired, the next one only within the
 * clock skew; a changed byte or an unknown key is forged; a retired key still verifies; tickets
 * are bound to the student.
 */
import { describe, expect, it } from 'vitest';
import { RotatingCodes } from '../../src/apps/attendance/codes.js';

const KEY = { id: 1, secret: 'unit-test-secret-0123456789' };
const PERIOD = 5_000;

function codes(now: { t: number }, options: Partial<ConstructorParameters<typeof RotatingCodes>[0]> = {}) {
  return new RotatingCodes({ current: KEY, periodMs: PERIOD, skewMs: 1_000, now: () => now.t, ...options });
}

describe('rotating codes', () => {
  it('are the same on every instance and verify on any of them', () => {
    const clock = { t: 1_700_000_000_000 };
    const [a, b, c] = [codes(clock), codes(clock), codes(clock)];
    const code = a.issue('abcdef123456');
    expect(b.issue('abcdef123456')).toBe(code);
    expect(c.check(code)).toEqual({ ok: true, sessionId: 'abcdef123456', window: a.windowAt() });
  });

  it('accept the previous window, refuse older ones as expired, and change every period', () => {
    const clock = { t: 1_700_000_002_500 };
    const c = codes(clock);
    const first = c.issue('abcdef123456');
    clock.t += PERIOD;
    const second = c.issue('abcdef123456');
    expect(second).not.toBe(first);
    expect(c.check(first).ok).toBe(true);
    clock.t += PERIOD;
    expect(c.check(first)).toEqual({ ok: false, reason: 'expired', sessionId: 'abcdef123456' });
    expect(c.check(second).ok).toBe(true);
  });

  it('accept the next window only within the clock skew', () => {
    const clock = { t: 1_700_000_000_000 };
    const c = codes(clock);
    const next = c.issue('abcdef123456', c.windowAt() + 1);
    clock.t = c.windowEnd(c.windowAt()) - 2_000;
    expect(c.check(next)).toMatchObject({ ok: false, reason: 'forged' });
    clock.t = c.windowEnd(c.windowAt()) - 500;
    expect(c.check(next).ok).toBe(true);
  });

  it('refuse a changed code, another session, an unknown key and garbage', () => {
    const clock = { t: 1_700_000_000_000 };
    const c = codes(clock);
    const code = c.issue('abcdef123456');
    const mac = code.split('.')[3]!;
    const flipped = code.replace(mac, `${mac[0] === 'A' ? 'B' : 'A'}${mac.slice(1)}`);
    expect(c.check(flipped)).toMatchObject({ ok: false, reason: 'forged' });
    expect(c.check(code.replace('abcdef123456', 'abcdef123457'))).toMatchObject({
      ok: false,
      reason: 'forged',
    });
    const other = codes(clock, { current: { id: 9, secret: 'another-secret-0123456789' } });
    expect(c.check(other.issue('abcdef123456'))).toMatchObject({ ok: false, reason: 'forged' });
    for (const bad of ['', 'x', `${code}.`, code.toUpperCase(), 'a'.repeat(300)]) {
      expect(c.check(bad)).toMatchObject({ ok: false, reason: 'malformed' });
    }
  });

  it('verify codes of a retired key during a key rotation', () => {
    const clock = { t: 1_700_000_000_000 };
    const old = codes(clock);
    const rotated = codes(clock, { current: { id: 2, secret: 'the-new-secret-0123456789' }, previous: KEY });
    expect(rotated.check(old.issue('abcdef123456')).ok).toBe(true);
  });

  it('bind tickets to the student and their expiry', () => {
    const clock = { t: 1_700_000_000_000 };
    const c = codes(clock);
    const ticket = c.issueTicket('abcdef123456', 's00001', 120_000);
    expect(c.checkTicket(ticket, 's00001')).toMatchObject({ ok: true, sessionId: 'abcdef123456' });
    expect(c.checkTicket(ticket, 's00002')).toMatchObject({ ok: false, reason: 'forged' });
    expect(c.check(ticket)).toMatchObject({ ok: false, reason: 'forged' });
    clock.t += 121_000;
    expect(c.checkTicket(ticket, 's00001')).toMatchObject({ ok: false, reason: 'expired' });
  });
});
