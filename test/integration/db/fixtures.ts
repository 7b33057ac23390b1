/**
 * Test fixtures for the data layer: the two engines with throwaway storage (a temp SQLite file,
 * a unique PostgreSQL schema dropped afterwards) and a small set of migrations.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import type { DbEngine } from '../../../src/config/db.js';
import type { Migration } from '../../../src/db/migration.js';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';

export interface EngineTarget {
  engine: DbEngine;
  /** Environment that points the data layer at this storage. */
  env: Record<string, string>;
  drop(): Promise<void>;
}

export function sqliteTarget(): EngineTarget {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-db-'));
  return {
    engine: 'sqlite',
    env: { PLEXUS_DATA_DIR: dir },
    async drop() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function postgresTarget(): EngineTarget {
  const schema = `plexus_test_${randomBytes(4).toString('hex')}`;
  return {
    engine: 'postgres',
    env: { DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema },
    async drop() {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      try {
        await client.query(`drop schema if exists "${schema}" cascade`);
      } finally {
        await client.end();
      }
    },
  };
}

// A type alias, not an interface: `withTables` needs an index-signature-compatible type.
export type ItemsTable = {
  items: { id: string; name: string; qty: number; meta: string | null; created_at: number };
  runs: { pid: number; at: number };
};

export const testMigrations: Migration[] = [
  {
    name: 'test-001-items',
    async up(db) {
      await db.schema
        .createTable('items')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('qty', 'bigint', (c) => c.notNull())
        .addColumn('meta', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('items_created_at').on('items').column('created_at').execute();
    },
  },
  {
    name: 'test-002-runs',
    async up(db) {
      await db.schema
        .createTable('runs')
        .addColumn('pid', 'bigint', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
      // Widen the window in which a second, unserialised migrator would also run this.
      await new Promise((r) => setTimeout(r, 200));
      await db
        .withTables<ItemsTable>()
        .insertInto('runs')
        .values({ pid: process.pid, at: Date.now() })
        .execute();
    },
  },
];

export const failingMigration: Migration = {
  name: 'test-003-fails',
  async up(db) {
    await db.schema.createTable('half_done').addColumn('x', 'text').execute();
    await sql`select * from no_such_table`.execute(db);
  },
};
