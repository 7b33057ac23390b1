/**
 * Runs the pending migrations once per database, even when every worker of a deployment starts at
 * the same moment.
 *
 * All of it happens in one transaction on one connection, under a lock that serialises the
 * migrating processes: PostgreSQL takes a transaction-scoped advisory lock keyed by the schema;
 * SQLite starts the transaction with BEGIN IMMEDIATE, which takes the database's write lock (other
 * processes wait up to MIGRATION_BUSY_TIMEOUT_MS). Whoever gets the lock second finds the work done
 * and applies nothing. A failed migration rolls back with everything before it in the same run.
 * Applied migrations are recorded in `plexus_migrations`.
 */
import { type Kysely, sql } from 'kysely';
import type { DbEngine } from '../config/db.js';
import type { Logger } from '../logger.js';
import { MigrationError } from './errors.js';
import type { Migration } from './migration.js';

export const MIGRATIONS_TABLE = 'plexus_migrations';

/** How long a starting SQLite process waits for another one's migrations. */
const MIGRATION_BUSY_TIMEOUT_MS = 120_000;

export interface MigrationTables {
  plexus_migrations: { name: string; applied_at: number };
}

export interface MigrateOptions {
  engine: DbEngine;
  /** PostgreSQL schema to create and lock; ignored by SQLite. */
  schema: string;
  /** SQLite busy timeout to restore afterwards. */
  busyTimeoutMs: number;
  logger: Logger;
}

export interface MigrateResult {
  /** Migrations applied by this call, in order. */
  applied: string[];
  /** Recorded in the database but unknown to this code (a newer version has run). */
  unknown: string[];
}

export async function migrate(
  db: Kysely<MigrationTables>,
  migrations: readonly Migration[],
  options: MigrateOptions,
): Promise<MigrateResult> {
  assertUniqueNames(migrations);
  return db.connection().execute(async (conn) => {
    await begin(conn, options);
    try {
      const result = await applyPending(conn, migrations, options.engine);
      await sql`commit`.execute(conn);
      for (const name of result.unknown) {
        options.logger.warn({ migration: name }, 'database has a migration this version does not know');
      }
      if (result.applied.length > 0) options.logger.info({ applied: result.applied }, 'migrations applied');
      return result;
    } catch (error) {
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw error;
    } finally {
      if (options.engine === 'sqlite') {
        await sql.raw(`pragma busy_timeout = ${options.busyTimeoutMs}`).execute(conn);
      }
    }
  });
}

async function begin(conn: Kysely<MigrationTables>, options: MigrateOptions): Promise<void> {
  if (options.engine === 'sqlite') {
    await sql.raw(`pragma busy_timeout = ${MIGRATION_BUSY_TIMEOUT_MS}`).execute(conn);
    await sql`begin immediate`.execute(conn);
    return;
  }
  await sql`begin`.execute(conn);
  await sql`select pg_advisory_xact_lock(hashtext(${`plexus:migrations:${options.schema}`}))`.execute(conn);
  await sql`create schema if not exists ${sql.id(options.schema)}`.execute(conn);
}

async function applyPending(
  conn: Kysely<MigrationTables>,
  migrations: readonly Migration[],
  engine: DbEngine,
): Promise<MigrateResult> {
  await conn.schema
    .createTable(MIGRATIONS_TABLE)
    .ifNotExists()
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('applied_at', 'bigint', (c) => c.notNull())
    .execute();
  const rows = await conn.selectFrom(MIGRATIONS_TABLE).select('name').execute();
  const done = new Set(rows.map((r) => r.name));
  const known = new Set(migrations.map((m) => m.name));
  const applied: string[] = [];
  for (const migration of migrations) {
    if (done.has(migration.name)) continue;
    try {
      await migration.up(conn as unknown as Kysely<unknown>, { engine });
    } catch (error) {
      throw new MigrationError(migration.name, error);
    }
    await conn
      .insertInto(MIGRATIONS_TABLE)
      .values({ name: migration.name, applied_at: Date.now() })
      .execute();
    applied.push(migration.name);
  }
  return { applied, unknown: [...done].filter((name) => !known.has(name)) };
}

function assertUniqueNames(migrations: readonly Migration[]): void {
  const seen = new Set<string>();
  for (const { name } of migrations) {
    if (seen.has(name)) throw new MigrationError(name, new Error('two migrations have this name'));
    seen.add(name);
  }
}
