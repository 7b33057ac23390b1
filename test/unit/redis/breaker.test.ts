/**
 * The circuit breaker: error-rate opening over a rolling window (only once the volume threshold is
 * reached), direct trips, open → half-open after the reset time, closing with a fresh window.
 */
import { describe, expect, it } from 'vitest';
import { type BreakerState, CircuitBreaker } from '../../../src/redis/breaker.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function breaker(options: Partial<ConstructorParameters<typeof CircuitBreaker>[0]> = {}) {
  const changes: [BreakerState, string][] = [];
  const b = new CircuitBreaker(
    { windowMs: 10_000, volumeThreshold: 10, errorRatePercent: 50, resetMs: 1000, ...options },
    (state, reason) => changes.push([state, reason]),
  );
  return { b, changes };
}

describe('CircuitBreaker', () => {
  it('stays closed below the volume threshold, whatever the error rate', () => {
    const { b } = breaker();
    for (let i = 0; i < 9; i++) b.failure('timeout');
    expect(b.state).toBe('closed');
    expect(b.allows()).toBe(true);
  });

  it('opens once the window holds enough calls and the failure share reaches the rate', () => {
    const { b, changes } = breaker();
    for (let i = 0; i < 5; i++) b.success();
    for (let i = 0; i < 4; i++) b.failure('timeout');
    expect(b.state).toBe('closed'); // 4 of 9: under the volume threshold
    b.failure('timeout'); // 5 of 10 = 50 %
    expect(b.state).toBe('open');
    expect(b.allows()).toBe(false);
    expect(b.reason).toMatch(/error rate over 50%: timeout/);
    expect(changes).toEqual([['open', b.reason]]);
  });

  it('does not open while failures stay under the rate', () => {
    const { b } = breaker();
    for (let i = 0; i < 100; i++) {
      if (i % 3 === 0) b.failure('timeout');
      else b.success();
    }
    expect(b.state).toBe('closed');
  });

  it('forgets failures older than the window', async () => {
    const { b } = breaker({ windowMs: 100 });
    for (let i = 0; i < 9; i++) b.failure('old');
    await sleep(150);
    for (let i = 0; i < 9; i++) b.success();
    b.failure('new'); // 1 of 10 in the window: the old ones have rotated out
    expect(b.state).toBe('closed');
  });

  it('opens at once on trip, reports half-open after the reset time, and closes with a fresh window', async () => {
    const { b, changes } = breaker({ resetMs: 50 });
    b.trip('connection lost');
    expect(b.state).toBe('open');
    expect(b.reason).toBe('connection lost');
    await sleep(70);
    expect(b.state).toBe('half-open');
    // Half-open still refuses user calls: the layer's own probe decides.
    expect(b.allows()).toBe(false);
    b.close();
    expect(b.state).toBe('closed');
    expect(b.reason).toBe('');
    // The window restarted: earlier failures do not count towards the next opening.
    for (let i = 0; i < 9; i++) b.failure('timeout');
    expect(b.state).toBe('closed');
    expect(changes.map(([state]) => state)).toEqual(['open', 'half-open', 'closed']);
  });

  it('emits one change per transition, however often it is tripped', () => {
    const { b, changes } = breaker();
    b.trip('a');
    b.trip('b');
    b.failure('c');
    expect(changes).toEqual([['open', 'a']]);
    expect(b.reason).toBe('b');
  });
});
