/**
 * Settings of the attendance app (src/apps/attendance/), section `attendance`, env ATTENDANCE_*:
 * the key that signs rotating roll-call codes, the rotation period, the device cookie and cache,
 * photo limits and retention, and the periods of its cluster jobs (seed 000's defaults).
 * ATTENDANCE_SECRET is required when NODE_ENV=production (checked when the app is created).
 */
import { duration, loadSection, option, parse, type SectionOf } from '../../config/option.js';

export const attendanceOptions = {
  secret: option({
    env: 'ATTENDANCE_SECRET',
    default: undefined as string | undefined,
    doc: 'Secret that signs rotating roll-call codes (at least 16 characters). Required when NODE_ENV=production.',
    parse: parse.optionalString(),
  }),
  keyId: option({
    env: 'ATTENDANCE_KEY_ID',
    default: 1,
    doc: 'Id (0-255) of ATTENDANCE_SECRET, written into every code so that a key rotation can tell keys apart.',
    parse: parse.integer(0, 255),
  }),
  previousSecret: option({
    env: 'ATTENDANCE_PREVIOUS_SECRET',
    default: undefined as string | undefined,
    doc: 'The retired secret (id ATTENDANCE_PREVIOUS_KEY_ID) whose codes still verify during a key rotation.',
    parse: parse.optionalString(),
  }),
  previousKeyId: option({
    env: 'ATTENDANCE_PREVIOUS_KEY_ID',
    default: 0,
    doc: 'Id (0-255) of ATTENDANCE_PREVIOUS_SECRET.',
    parse: parse.integer(0, 255),
  }),
  codePeriodMs: duration({
    env: 'ATTENDANCE_CODE_PERIOD',
    default: 5_000,
    unit: 'ms',
    min: 1_000,
    max: 300_000,
    doc: 'How often the roll-call code changes (seed 000: every 5 s). The current and the previous code are accepted.',
  }),
  clockSkewMs: duration({
    env: 'ATTENDANCE_CLOCK_SKEW',
    default: 1_000,
    unit: 'ms',
    min: 0,
    max: 10_000,
    doc: "How far ahead another instance's clock may be: a code of the next window is accepted this close to it.",
  }),
  deviceCookieName: option({
    env: 'ATTENDANCE_DEVICE_COOKIE',
    default: 'plexus_device',
    doc: 'Name of the HttpOnly cookie that identifies a device for device-bound check-ins.',
    parse: parse.string(),
  }),
  deviceCacheTtlMs: duration({
    env: 'ATTENDANCE_DEVICE_CACHE_TTL',
    default: 300_000,
    unit: 'ms',
    min: 1_000,
    doc: 'How long a device binding stays in the shared cache (seed 000: 5 minutes).',
  }),
  deviceBindingTtlMs: duration({
    env: 'ATTENDANCE_DEVICE_BINDING_TTL',
    default: 180 * 86_400_000,
    unit: 'ms',
    min: 60_000,
    doc: 'How long an unused device binding is kept in the database before the cleanup job deletes it.',
  }),
  photoMaxBytes: option({
    env: 'ATTENDANCE_PHOTO_MAX_BYTES',
    default: 2_000_000,
    doc: 'Largest accepted check-in photo (JPEG, PNG or WebP, checked by content).',
    parse: parse.integer(1_024, 20_000_000),
  }),
  photoRetentionMs: duration({
    env: 'ATTENDANCE_PHOTO_RETENTION',
    default: 30 * 86_400_000,
    unit: 'ms',
    min: 60_000,
    doc: 'How long check-in photos are kept before the photo cleanup job deletes them.',
  }),
  photoDir: option({
    env: 'ATTENDANCE_PHOTO_DIR',
    default: undefined as string | undefined,
    doc: 'Directory for check-in photos. Unset: `attendance-photos` under PLEXUS_DATA_DIR.',
    parse: parse.optionalString(),
  }),
  scanIdRetentionMs: duration({
    env: 'ATTENDANCE_SCAN_ID_RETENTION',
    default: 86_400_000,
    unit: 'ms',
    min: 60_000,
    doc: 'How long a stall scan id is remembered, so that a retried scan is counted once (the cache cleanup job deletes older ones).',
  }),
  tokenCleanupEvery: option({
    env: 'ATTENDANCE_TOKEN_CLEANUP_EVERY',
    default: '30s',
    doc: 'Period of the job that closes ended sessions and deletes stale device bindings (seed 000: 30 s).',
    parse: parse.string(),
  }),
  photoCleanupEvery: option({
    env: 'ATTENDANCE_PHOTO_CLEANUP_EVERY',
    default: '6h',
    doc: 'Period of the job that deletes photos past their retention (seed 000: 6 h).',
    parse: parse.string(),
  }),
  cacheCleanupEvery: option({
    env: 'ATTENDANCE_CACHE_CLEANUP_EVERY',
    default: '6m',
    doc: 'Period of the job that forgets stall scan ids past ATTENDANCE_SCAN_ID_RETENTION (seed 000: 6 min).',
    parse: parse.string(),
  }),
};

export type AttendanceConfig = SectionOf<typeof attendanceOptions>;

export function loadAttendanceConfig(
  env: Record<string, string | undefined> = process.env,
  explicit: Partial<AttendanceConfig> = {},
): AttendanceConfig {
  return loadSection('attendance', attendanceOptions, env, explicit);
}
