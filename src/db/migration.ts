/**
 * What a migration is. Migrations are listed, in the order they apply, in
 * src/db/migrations/index.ts; each runs once per database, inside the migration transaction.
 *
 * Write them with Kysely's schema builder so that one definition serves SQLite and PostgreSQL.
 * Portable column conventions: `text` for strings and JSON (serialise it yourself), `bigint` for
 * integers and epoch-millisecond timestamps (both engines return JS numbers), `integer` 0/1 for
 * flags, `double precision` for floats. `context.engine` is there for the rare statement that
 * must differ.
 */
import type { Kysely } from 'kysely';
import type { DbEngine } from '../config/db.js';

export interface MigrationContext {
  engine: DbEngine;
}

export interface Migration {
  /** Unique and never renamed: `<module>-<nnn>-<what>`, e.g. `qr-001-attendance`. */
  name: string;
  up(db: Kysely<unknown>, context: MigrationContext): Promise<void>;
}
