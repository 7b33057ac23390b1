/**
 * The embedded engine: SQLite through better-sqlite3, in one file that every process of the
 * deployment opens. WAL mode lets readers proceed while one process writes; `busy_timeout` makes a
 * writer wait for the lock instead of failing at once. better-sqlite3 is synchronous, so a query
 * blocks this process's event loop while it runs: keep queries indexed and short.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { SqliteDialect } from 'kysely';

export const MEMORY_FILENAME = ':memory:';

export interface SqliteEngineOptions {
  filename: string;
  busyTimeoutMs: number;
}

export function sqliteDialect(options: SqliteEngineOptions): SqliteDialect {
  // Loaded on first use, like the PostgreSQL driver.
  return new SqliteDialect({
    database: async () => openSqlite((await import('better-sqlite3')).default, options),
  });
}

function openSqlite(
  Driver: typeof BetterSqlite3,
  { filename, busyTimeoutMs }: SqliteEngineOptions,
): BetterSqlite3.Database {
  if (filename !== MEMORY_FILENAME) mkdirSync(dirname(filename), { recursive: true });
  const db = new Driver(filename, { timeout: busyTimeoutMs });
  // busy_timeout first: switching to WAL takes a lock another starting process may hold.
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  if (filename !== MEMORY_FILENAME) db.pragma('journal_mode = WAL');
  // NORMAL is durable across process crashes in WAL mode; only a power loss may drop the last commits.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  return db;
}
