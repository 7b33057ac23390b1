/**
 * The data-access layer: one typed Kysely instance over the configured engine (embedded SQLite or
 * PostgreSQL), so every module writes its queries once for both.
 *
 * Nothing connects at construction. `open()` connects and runs the pending migrations; `ping()`
 * measures a round trip for health checks; `close()` releases the connections. Modules type their
 * own tables with `db.kysely.withTables<MyTables>()` (declare `MyTables` with `type`, not
 * `interface`: Kysely needs an index-signature-compatible type). Core migrations are listed in
 * src/db/migrations/index.ts; an application's come with its definition (src/application/).
 */
import { type Dialect, Kysely, sql } from 'kysely';
import type { DbConfig, DbEngine } from '../config/db.js';
import { type Logger, silentLogger } from '../logger.js';
import { describePostgres, postgresDialect } from './engines/postgres.js';
import { MEMORY_FILENAME, sqliteDialect } from './engines/sqlite.js';
import { DatabaseUnavailableError } from './errors.js';
import type { Migration } from './migration.js';
import { migrations as registeredMigrations } from './migrations/index.js';
import { type MigrateResult, type MigrationTables, migrate } from './migrator.js';

/** Tables every Plexus database has. Modules extend the type with `withTables`. */
export type PlexusTables = MigrationTables;

export interface DatabaseOptions {
  logger?: Logger;
  /** Defaults to the core's list (src/db/migrations/index.ts); `createPlexus` adds the installed apps'. */
  migrations?: readonly Migration[];
}

export class Database {
  readonly engine: DbEngine;
  readonly kysely: Kysely<PlexusTables>;
  /** Where the data lives, without credentials: a file path or `host:port/database`. */
  readonly location: string;
  readonly #config: DbConfig;
  readonly #logger: Logger;
  readonly #migrations: readonly Migration[];
  #closed = false;

  constructor(config: DbConfig, options: DatabaseOptions = {}) {
    this.#config = config;
    this.#logger = options.logger ?? silentLogger;
    this.#migrations = options.migrations ?? registeredMigrations;
    this.engine = config.engine;
    this.location = config.engine === 'sqlite' ? config.filename : describePostgres(config.connectionString);
    this.kysely = new Kysely<PlexusTables>({ dialect: this.#dialect() });
  }

  /** A short human description for the startup line: `SQLite data/plexus.db`. */
  describe(): string {
    if (this.engine === 'postgres') return `PostgreSQL ${this.location} (schema ${this.#config.schema})`;
    return this.location === MEMORY_FILENAME ? 'SQLite in memory' : `SQLite ${this.location}`;
  }

  /** Connects and applies pending migrations. Throws DB_UNAVAILABLE or DB_MIGRATION_FAILED. */
  async open(): Promise<MigrateResult> {
    try {
      return await migrate(this.kysely, this.#migrations, {
        engine: this.engine,
        schema: this.#config.schema,
        busyTimeoutMs: this.#config.busyTimeoutMs,
        logger: this.#logger,
      });
    } catch (error) {
      if (error instanceof Error && 'code' in error && error.code === 'DB_MIGRATION_FAILED') throw error;
      throw new DatabaseUnavailableError(`cannot open ${this.describe()}: ${messageOf(error)}`, {
        cause: error,
      });
    }
  }

  /** Round-trip time of a trivial query, in milliseconds; DB_UNAVAILABLE after `timeoutMs`. */
  async ping(timeoutMs: number): Promise<number> {
    const start = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([sql`select 1`.execute(this.kysely), timeout]);
    } catch (error) {
      throw new DatabaseUnavailableError(messageOf(error), { cause: error });
    } finally {
      clearTimeout(timer);
    }
    return Math.round((performance.now() - start) * 1000) / 1000;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.kysely.destroy();
  }

  #dialect(): Dialect {
    const config = this.#config;
    if (config.engine === 'sqlite') {
      return sqliteDialect({ filename: config.filename, busyTimeoutMs: config.busyTimeoutMs });
    }
    return postgresDialect({
      connectionString: config.connectionString,
      schema: config.schema,
      poolSize: config.poolSize,
      connectTimeoutMs: config.connectTimeoutMs,
      logger: this.#logger,
    });
  }
}

function messageOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return messageOf(error.errors[0]);
  return error instanceof Error ? error.message || error.name : String(error);
}
