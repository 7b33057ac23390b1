/**
 * Errors of the feature flags (src/flags/). Every code is stable; its HTTP status is in
 * `FLAG_ERROR_STATUS` (listed once in src/server/http-errors.ts). Version conflicts, oversized
 * definitions and an unreachable database are the configuration values' errors
 * (SETTINGS_VERSION_CONFLICT, SETTINGS_VALUE_TOO_LARGE, SETTINGS_UNAVAILABLE).
 */
import { PlexusError, type PlexusErrorOptions } from '../errors.js';

export const FLAG_ERROR_STATUS = {
  /** No flag of that name. */
  FLAG_NOT_FOUND: 404,
  /** A flag name that is not 1 to 64 letters, digits, dots, dashes or underscores. */
  FLAG_INVALID_NAME: 400,
  /** A definition that is not one: wrong types, unknown fields, a malformed rule, a list too long. */
  FLAG_INVALID_RULE: 400,
  /** Variant weights that are not whole numbers from 0 to 100 adding up to 100. */
  FLAG_INVALID_WEIGHTS: 400,
} as const;

export type FlagErrorCode = keyof typeof FLAG_ERROR_STATUS;

export class FlagError extends PlexusError {
  declare readonly code: FlagErrorCode;
  constructor(code: FlagErrorCode, message: string, options: PlexusErrorOptions = {}) {
    super(code, message, options);
  }
}
