/**
 * The one duration syntax of Plexus, shared by settings (`CACHE_TTL_MS=10m`, `SESSION_TTL=24h`)
 * and by runtime arguments (`cache.set(k, v, { ttl: '5m' })`, `jobs.every('x', '10s', fn)`):
 * a number followed by `ms`, `s`, `m`, `h` or `d`, or a bare number, which is in the unit the
 * setting or argument always had (milliseconds for `*_MS` settings and runtime arguments,
 * seconds for `SESSION_TTL`), so that existing values keep their meaning.
 *
 * It only converts: each caller checks the range it needs and throws its own typed error
 * naming the setting or argument, which this module cannot know.
 */

export const DURATION_UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export type DurationUnit = keyof typeof DURATION_UNITS;

export const UNIT_NAMES: Record<DurationUnit, string> = {
  ms: 'milliseconds',
  s: 'seconds',
  m: 'minutes',
  h: 'hours',
  d: 'days',
};

const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/;

/** Text for error messages: what a valid value looks like. */
export function durationSyntax(bareUnit: DurationUnit): string {
  return `a number of ${UNIT_NAMES[bareUnit]} or a duration such as 500ms, 30s, 10m, 24h, 7d`;
}

/**
 * Milliseconds in `value`: a number (in `bareUnit`), or a string as described above. NaN when
 * `value` is neither; negative numbers and Infinity are returned as they are, for the caller's
 * range check.
 */
export function toMilliseconds(value: unknown, bareUnit: DurationUnit = 'ms'): number {
  if (typeof value === 'number') return scale(value, bareUnit);
  if (typeof value !== 'string') return Number.NaN;
  const match = PATTERN.exec(value.trim());
  if (match === null) return Number.NaN;
  return scale(Number(match[1]), (match[2] as DurationUnit | undefined) ?? bareUnit);
}

function scale(amount: number, unit: DurationUnit): number {
  const ms = amount * DURATION_UNITS[unit];
  // Keep 1.1s at 1100 ms, not 1100.0000000000002 (which a caller rounding up would make 1101).
  return Number.isFinite(ms) ? Math.round(ms * 1000) / 1000 : ms;
}

/** `value` (milliseconds) in the largest unit that divides it exactly, e.g. 300000 → `5m`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  const units = Object.entries(DURATION_UNITS).reverse() as [DurationUnit, number][];
  const [unit, size] = units.find(([, size]) => ms % size === 0) ?? ['ms', 1];
  return `${ms / size}${unit}`;
}
