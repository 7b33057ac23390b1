/**
 * PostgreSQL through node-postgres. Every pooled connection starts with `search_path` set to the
 * configured schema, so queries name tables without a schema and several apps (or test runs) can
 * share a database. 64-bit integers (`bigint` columns, `count(*)`) are returned as JS numbers, as
 * SQLite returns them, so that one set of queries gives the same values on both engines.
 */
import { PostgresDialect } from 'kysely';
import type pg from 'pg';
import type { Logger } from '../../logger.js';

export interface PostgresEngineOptions {
  connectionString: string;
  schema: string;
  poolSize: number;
  connectTimeoutMs: number;
  logger: Logger;
}

const INT8_OID = 20;

export function postgresDialect(options: PostgresEngineOptions): PostgresDialect {
  // Loaded on first use: a deployment on the embedded engine never pays for node-postgres.
  return new PostgresDialect({ pool: async () => createPool((await import('pg')).default, options) });
}

function createPool(driver: typeof pg, options: PostgresEngineOptions): pg.Pool {
  const types = {
    getTypeParser(oid: number, format?: 'text' | 'binary') {
      if (oid === INT8_OID && format !== 'binary') return (value: string) => Number(value);
      return format === undefined ? driver.types.getTypeParser(oid) : driver.types.getTypeParser(oid, format);
    },
  } as pg.CustomTypesConfig;
  const pool = new driver.Pool({
    connectionString: options.connectionString,
    max: options.poolSize,
    connectionTimeoutMillis: options.connectTimeoutMs,
    options: `-c search_path=${options.schema}`,
    types,
  });
  // An idle connection that dies (server restart) is reported here; without a listener it
  // would crash the process. The pool replaces it on the next query.
  pool.on('error', (error) => options.logger.warn({ err: error }, 'PostgreSQL connection lost'));
  return pool;
}

/** `host:port/database` from a connection string, without credentials, for logs and health. */
export function describePostgres(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    return `${url.hostname}:${url.port || '5432'}${url.pathname}`;
  } catch {
    return 'postgres';
  }
}
