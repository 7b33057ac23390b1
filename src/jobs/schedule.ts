/**
 * When a job's ticks fall. A tick is identified by its scheduled time (epoch ms), which every
 * instance computes identically: `every` ticks are aligned to multiples of the interval since the
 * epoch (so a 5 s job ticks at :00, :05, ... on every instance, whenever each one started), and
 * cron ticks are the expression's times. `next(after)` is the first tick strictly after `after`,
 * so ticks that passed while nobody could run them are skipped, never queued.
 */
import { CronExpressionParser } from 'cron-parser';
import { durationSyntax, toMilliseconds } from '../config/duration.js';
import { JobsError } from './errors.js';

export interface Schedule {
  /** `every 5s` or `cron 0 3 * * *`, for listings. */
  readonly description: string;
  next(after: number): number;
}

export const MIN_INTERVAL_MS = 10;
const MAX_INTERVAL_MS = 366 * 86_400_000;

/** Parses `250ms`, `5s`, `1.5m`, `2h`, `1d` or a number of milliseconds (src/config/duration.ts). */
export function parseInterval(interval: number | string): number {
  const ms = toMilliseconds(interval);
  if (Number.isNaN(ms)) {
    throw new JobsError(
      'JOBS_INVALID_SCHEDULE',
      `Interval ${JSON.stringify(interval)}: expected ${durationSyntax('ms')}`,
    );
  }
  if (!Number.isFinite(ms) || ms < MIN_INTERVAL_MS || ms > MAX_INTERVAL_MS || !Number.isInteger(ms)) {
    throw new JobsError(
      'JOBS_INVALID_SCHEDULE',
      `Interval ${JSON.stringify(interval)}: must be a whole number of milliseconds from ${MIN_INTERVAL_MS} ms to 366 days`,
    );
  }
  return ms;
}

export function everySchedule(interval: number | string): Schedule {
  const ms = parseInterval(interval);
  return {
    description: `every ${typeof interval === 'string' ? interval.trim() : `${ms}ms`}`,
    next: (after) => (Math.floor(after / ms) + 1) * ms,
  };
}

export function cronSchedule(expression: string, timezone?: string): Schedule {
  const options = timezone === undefined ? {} : { tz: timezone };
  try {
    CronExpressionParser.parse(expression, { ...options, currentDate: new Date() }).next();
  } catch (error) {
    throw new JobsError(
      'JOBS_INVALID_SCHEDULE',
      `Cron expression ${JSON.stringify(expression)}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  return {
    description: `cron ${expression}${timezone === undefined ? '' : ` (${timezone})`}`,
    next: (after) =>
      CronExpressionParser.parse(expression, { ...options, currentDate: new Date(after) })
        .next()
        .getTime(),
  };
}
