/**
 * Errors of the configuration values (src/settings/). Every code is stable; its HTTP status is in
 * `SETTINGS_ERROR_STATUS` (listed once in src/server/http-errors.ts).
 */
import { PlexusError, type PlexusErrorOptions } from '../errors.js';

export const SETTINGS_ERROR_STATUS = {
  /** A collection or key that is not a valid name, or a value that is not JSON. */
  SETTINGS_INVALID: 400,
  /** No value under that collection and key. */
  SETTINGS_NOT_FOUND: 404,
  /** The write named a version that is no longer current: someone else wrote meanwhile. */
  SETTINGS_VERSION_CONFLICT: 409,
  /** The JSON value is larger than SETTINGS_MAX_VALUE_BYTES. */
  SETTINGS_VALUE_TOO_LARGE: 413,
  /** The database cannot be written (or read, with nothing known to serve instead). */
  SETTINGS_UNAVAILABLE: 503,
  /** This instance holds as many change streams (the hello-app-cluster page's) as it serves. */
  SETTINGS_STREAMS_FULL: 503,
} as const;

export type SettingsErrorCode = keyof typeof SETTINGS_ERROR_STATUS;

export class SettingsError extends PlexusError {
  declare readonly code: SettingsErrorCode;
  constructor(code: SettingsErrorCode, message: string, options: PlexusErrorOptions = {}) {
    super(code, message, options);
  }
}

export class VersionConflictError extends SettingsError {
  constructor(collection: string, key: string, expected: number, current: number | null) {
    super(
      'SETTINGS_VERSION_CONFLICT',
      `${collection}/${key} is at version ${current ?? 'none (deleted)'}, not ${expected}: read it again and retry`,
      { details: { collection, key, expected, current } },
    );
  }
}
