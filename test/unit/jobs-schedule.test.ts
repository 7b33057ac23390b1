import { describe, expect, it } from 'vitest';
import { cronSchedule, everySchedule, parseInterval } from '../../src/jobs/schedule.js';

describe('job schedules', () => {
  it('parses intervals', () => {
    expect(parseInterval(250)).toBe(250);
    expect(parseInterval('250ms')).toBe(250);
    expect(parseInterval('5s')).toBe(5000);
    expect(parseInterval(' 1.5m ')).toBe(90_000);
    expect(parseInterval('2h')).toBe(7_200_000);
    expect(parseInterval('1d')).toBe(86_400_000);
    for (const bad of ['', '5', '5 sec', '-1s', '0.0001s', '400d'] as const) {
      expect(() => parseInterval(bad)).toThrow(expect.objectContaining({ code: 'JOBS_INVALID_SCHEDULE' }));
    }
    expect(() => parseInterval(Number.POSITIVE_INFINITY)).toThrow(
      expect.objectContaining({ code: 'JOBS_INVALID_SCHEDULE' }),
    );
  });

  it('aligns `every` ticks to the epoch, strictly after the given time', () => {
    const s = everySchedule('5s');
    expect(s.next(0)).toBe(5000);
    expect(s.next(4999)).toBe(5000);
    expect(s.next(5000)).toBe(10_000);
    expect(s.description).toBe('every 5s');
    expect(everySchedule(100).description).toBe('every 100ms');
  });

  it('follows cron expressions, in UTC or a given time zone', () => {
    const t = Date.parse('2026-03-01T10:07:30Z');
    expect(new Date(cronSchedule('*/15 * * * *').next(t)).toISOString()).toBe('2026-03-01T10:15:00.000Z');
    expect(new Date(cronSchedule('0 3 * * *', 'Europe/Paris').next(t)).toISOString()).toBe(
      '2026-03-02T02:00:00.000Z',
    );
    const six = cronSchedule('*/10 * * * * *');
    expect(six.next(Date.parse('2026-03-01T10:07:30Z'))).toBe(Date.parse('2026-03-01T10:07:40Z'));
    expect(() => cronSchedule('not a cron')).toThrow(
      expect.objectContaining({ code: 'JOBS_INVALID_SCHEDULE' }),
    );
  });
});
