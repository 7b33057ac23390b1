export type { DbConfig, DbEngine } from '../config/db.js';
export { Database, type DatabaseOptions, type PlexusTables } from './database.js';
export { DatabaseUnavailableError, isDatabaseUnavailable, MigrationError } from './errors.js';
export type { Migration, MigrationContext } from './migration.js';
export { MIGRATIONS_TABLE, type MigrateResult } from './migrator.js';
