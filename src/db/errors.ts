/**
 * Errors of the data-access layer. DB_UNAVAILABLE means the database cannot be reached or is
 * locked right now (the request may be retried); DB_MIGRATION_FAILED stops startup.
 */
import { PlexusError, type PlexusErrorOptions } from '../errors.js';

export class DatabaseUnavailableError extends PlexusError {
  constructor(reason: string, options: PlexusErrorOptions = {}) {
    super('DB_UNAVAILABLE', `Database is unavailable: ${reason}`, options);
  }
}

export class MigrationError extends PlexusError {
  constructor(migration: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('DB_MIGRATION_FAILED', `Migration ${migration} failed: ${reason}`, {
      cause,
      details: { migration },
    });
  }
}

/** Error codes of node-postgres, PostgreSQL and SQLite that mean "not reachable right now". */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
]);

/**
 * True when `error` comes from a database that is down, restarting, overloaded or locked, as
 * opposed to a faulty query. The HTTP layer answers those with 503 DB_UNAVAILABLE.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
  const message = error instanceof Error ? error.message : '';
  // node-postgres reports an exhausted pool or a dead server with these uncoded errors.
  return /timeout exceeded when trying to connect|Connection terminated/.test(message);
}
