/** Argument checks of the configuration values: names, JSON values and their size. */
import { SettingsError } from './errors.js';

const COLLECTION = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
const KEY = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

export function checkCollection(collection: unknown): asserts collection is string {
  if (typeof collection !== 'string' || !COLLECTION.test(collection)) {
    throw new SettingsError(
      'SETTINGS_INVALID',
      'A collection is 1 to 64 lower-case letters, digits, dots, dashes or underscores',
      { details: { collection: String(collection).slice(0, 80) } },
    );
  }
}

export function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || !KEY.test(key)) {
    throw new SettingsError(
      'SETTINGS_INVALID',
      'A key is 1 to 128 letters, digits, dots, colons, dashes or underscores',
      { details: { key: String(key).slice(0, 140) } },
    );
  }
}

/** The value must survive JSON unchanged (no undefined, functions, NaN...) and fit `maxBytes`. */
export function checkValue(value: unknown, maxBytes: number): void {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {}
  if (json === undefined || !isPlainJson(value)) {
    throw new SettingsError(
      'SETTINGS_INVALID',
      'The value must be JSON (null, booleans, finite numbers, strings, arrays, objects)',
    );
  }
  const bytes = Buffer.byteLength(json);
  if (bytes > maxBytes) {
    throw new SettingsError(
      'SETTINGS_VALUE_TOO_LARGE',
      `The value is ${bytes} bytes; at most ${maxBytes} are allowed`,
      {
        details: { bytes, maxBytes },
      },
    );
  }
}

function isPlainJson(value: unknown, depth = 0): boolean {
  if (depth > 32) return false;
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((v) => isPlainJson(v, depth + 1));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.values(value).every((v) => isPlainJson(v, depth + 1));
  }
  return false;
}
