import { describe, expect, it } from 'vitest';
import { formatDuration, toMilliseconds } from '../../src/config/duration.js';

describe('durations', () => {
  it('reads every unit, and bare numbers in the unit the caller gives', () => {
    expect(toMilliseconds('250ms')).toBe(250);
    expect(toMilliseconds('30s')).toBe(30_000);
    expect(toMilliseconds(' 10m ')).toBe(600_000);
    expect(toMilliseconds('24h')).toBe(86_400_000);
    expect(toMilliseconds('7d')).toBe(604_800_000);
    expect(toMilliseconds('1.5 m')).toBe(90_000);
    expect(toMilliseconds('1500')).toBe(1500);
    expect(toMilliseconds(1500)).toBe(1500);
    expect(toMilliseconds('300', 's')).toBe(300_000);
    expect(toMilliseconds(86_400, 's')).toBe(86_400_000);
    expect(toMilliseconds('2h', 's')).toBe(7_200_000);
  });

  it('keeps decimal amounts exact', () => {
    expect(toMilliseconds('1.1s')).toBe(1100);
    expect(toMilliseconds('0.3s')).toBe(300);
  });

  it('answers NaN for anything else, and leaves range checks to the caller', () => {
    for (const bad of ['', '5 years', '-5s', '1e3', 's', null, {}, undefined]) {
      expect(toMilliseconds(bad), String(bad)).toBeNaN();
    }
    expect(toMilliseconds(-1)).toBe(-1);
    expect(toMilliseconds(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
  });

  it('formats milliseconds in the largest exact unit', () => {
    expect(formatDuration(300_000)).toBe('5m');
    expect(formatDuration(86_400_000)).toBe('1d');
    expect(formatDuration(1500)).toBe('1500ms');
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(0)).toBe('0');
  });
});
