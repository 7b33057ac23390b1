/** Settings of the configuration values and feature flags (src/settings/, src/flags/). */
import { ConfigError } from '../errors.js';
import { duration, loadSection, option, parse, type SectionOf, splitList } from './option.js';

export const settingsOptions = {
  ttlMs: duration({
    env: 'SETTINGS_TTL_MS',
    default: 60_000,
    unit: 'ms',
    min: 1,
    doc: 'How long a configuration value (and a flag) is served from process memory and Redis before the database is asked again; bounds how long a lost invalidation can leave an instance on an old value (seed 004: 60 s).',
  }),
  staleMs: duration({
    env: 'SETTINGS_STALE_MS',
    default: 86_400_000,
    unit: 'ms',
    min: 0,
    doc: 'How long past its TTL the last known value keeps being served while the database cannot be read (stale-if-error; reported in health).',
  }),
  writeWaitMs: duration({
    env: 'SETTINGS_WRITE_WAIT_MS',
    default: 1000,
    unit: 'ms',
    min: 0,
    doc: 'Longest a write waits for every other instance to confirm it dropped its copy, so that a read anywhere after the write returns sees the new value; past it the write returns anyway (a warning is logged; the TTL bounds the staleness). 0: do not wait.',
  }),
  maxValueBytes: option({
    env: 'SETTINGS_MAX_VALUE_BYTES',
    default: 64 * 1024,
    doc: 'Largest JSON value, in bytes, a configuration value or flag may have; larger ones are refused with SETTINGS_VALUE_TOO_LARGE.',
    parse: parse.integer(64, 16 * 1024 * 1024),
  }),
  warm: option({
    env: 'SETTINGS_WARM',
    default: ['app:*', 'features:*'] as readonly string[],
    doc: 'Comma-separated `collection:key` patterns (`*` matches any key) loaded into the tiers at start.',
    parse: (raw: unknown, setting: string): readonly string[] => {
      const items = splitList(raw);
      if (!Array.isArray(items) || items.some((i) => typeof i !== 'string' || !/^[^:]+:.+$/.test(i))) {
        throw new ConfigError(
          setting,
          `expected comma-separated collection:key patterns, got ${JSON.stringify(raw)}`,
        );
      }
      return items as string[];
    },
  }),
};

export type SettingsConfig = SectionOf<typeof settingsOptions>;

export function loadSettingsConfig(
  env: Record<string, string | undefined> = process.env,
  explicit: Partial<SettingsConfig> = {},
): SettingsConfig {
  return loadSection('settings', settingsOptions, env, explicit);
}
