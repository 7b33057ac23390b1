/**
 * The data layer's conformance suite: the same cases against the embedded engine (SQLite in a temp
 * file) and PostgreSQL (a unique schema, dropped afterwards). One set of queries must give the same
 * results on both, and migrations must apply exactly once even when several processes race.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadDbConfig } from '../../src/config/db.js';
import { Database } from '../../src/db/database.js';
import { isDatabaseUnavailable } from '../../src/db/errors.js';
import type { Migration } from '../../src/db/migration.js';
import { silentLogger } from '../../src/logger.js';
import {
  type EngineTarget,
  failingMigration,
  type ItemsTable,
  postgresTarget,
  sqliteTarget,
  testMigrations,
} from '../integration/db/fixtures.js';

const run = promisify(execFile);

describe.each([
  ['sqlite', sqliteTarget],
  ['postgres', postgresTarget],
] as const)('data layer on %s', (engine, makeTarget) => {
  let target: EngineTarget;
  const open: Database[] = [];

  function database(migrations: readonly Migration[] = testMigrations, logger = silentLogger): Database {
    const db = new Database(loadDbConfig(target.env), { migrations, logger });
    open.push(db);
    return db;
  }

  beforeEach(() => {
    target = makeTarget();
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((db) => db.close()));
    await target.drop();
  });

  it('applies migrations once and records them', async () => {
    const first = database();
    expect(first.engine).toBe(engine);
    expect(await first.open()).toEqual({ applied: ['test-001-items', 'test-002-runs'], unknown: [] });
    expect(await first.open()).toEqual({ applied: [], unknown: [] });
    const second = database();
    expect(await second.open()).toEqual({ applied: [], unknown: [] });
    const recorded = await second.kysely
      .selectFrom('plexus_migrations')
      .selectAll()
      .orderBy('name')
      .execute();
    expect(recorded.map((r) => r.name)).toEqual(['test-001-items', 'test-002-runs']);
    expect(typeof recorded[0]!.applied_at).toBe('number');
  });

  it('runs one set of typed queries with the same results on both engines', async () => {
    const db = database();
    await db.open();
    const k = db.kysely.withTables<ItemsTable>();
    const big = 2 ** 52 + 1;
    await k
      .insertInto('items')
      .values([
        {
          id: 'a',
          name: 'alpha',
          qty: 3,
          meta: JSON.stringify({ tags: ['x'] }),
          created_at: 1_700_000_000_000,
        },
        { id: 'b', name: 'beta', qty: big, meta: null, created_at: 1_700_000_000_001 },
        { id: 'c', name: 'gamma', qty: -7, meta: 'ü ✓ "quoted"', created_at: 1_700_000_000_002 },
      ])
      .execute();

    const rows = await k.selectFrom('items').selectAll().orderBy('created_at', 'desc').execute();
    expect(rows.map((r) => r.id)).toEqual(['c', 'b', 'a']);
    expect(rows[1]).toEqual({ id: 'b', name: 'beta', qty: big, meta: null, created_at: 1_700_000_000_001 });
    expect(JSON.parse(rows[2]!.meta!)).toEqual({ tags: ['x'] });
    expect(rows[0]!.meta).toBe('ü ✓ "quoted"');

    const { count } = await k
      .selectFrom('items')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('qty', '>', 0)
      .executeTakeFirstOrThrow();
    expect(count).toBe(2);

    const updated = await k.updateTable('items').set({ qty: 4 }).where('id', '=', 'a').executeTakeFirst();
    expect(Number(updated.numUpdatedRows)).toBe(1);
    const sum = await k
      .selectFrom('items')
      .select((eb) => eb.fn.sum<number>('qty').as('total'))
      .where('id', 'in', ['a', 'c'])
      .executeTakeFirstOrThrow();
    expect(Number(sum.total)).toBe(-3);

    const deleted = await k.deleteFrom('items').where('name', 'like', 'g%').executeTakeFirst();
    expect(Number(deleted.numDeletedRows)).toBe(1);
    expect(await k.selectFrom('items').select('id').where('id', '=', 'c').executeTakeFirst()).toBeUndefined();
  });

  it('rolls a transaction back entirely, and reports constraint violations as query errors', async () => {
    const db = database();
    await db.open();
    const k = db.kysely.withTables<ItemsTable>();
    const row = { id: 'x', name: 'dup', qty: 1, meta: null, created_at: 1 };
    const failure = await k
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto('items').values(row).execute();
        await trx
          .insertInto('items')
          .values({ ...row, id: 'y' })
          .execute(); // unique(name)
      })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect(isDatabaseUnavailable(failure)).toBe(false);
    expect(await k.selectFrom('items').selectAll().execute()).toEqual([]);
  });

  it('rolls back a failed migration run as a whole and can run again', async () => {
    const db = database([...testMigrations, failingMigration]);
    const error = await db.open().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DB_MIGRATION_FAILED', details: { migration: 'test-003-fails' } });
    const tables = await tableNames(db);
    expect(tables).not.toContain('items');
    expect(tables).not.toContain('half_done');

    const fixed = database();
    expect((await fixed.open()).applied).toEqual(['test-001-items', 'test-002-runs']);
  });

  it('warns about migrations the database has but this code does not know, without failing', async () => {
    await database().open();
    const warnings: unknown[] = [];
    const logger = { ...silentLogger, warn: (obj: object) => warnings.push(obj) };
    const older = database(testMigrations.slice(0, 1), logger);
    expect(await older.open()).toEqual({ applied: [], unknown: ['test-002-runs'] });
    expect(warnings).toEqual([{ migration: 'test-002-runs' }]);
  });

  it('refuses two migrations with the same name', async () => {
    const db = database([testMigrations[0]!, testMigrations[0]!]);
    await expect(db.open()).rejects.toMatchObject({ code: 'DB_MIGRATION_FAILED' });
  });

  it('applies each migration exactly once when several processes start at the same moment', async () => {
    const children = Array.from({ length: 4 }, () =>
      run(process.execPath, ['--import', 'tsx', 'test/integration/db/migrate-child.ts'], {
        env: { ...process.env, ...target.env, DATABASE_URL: target.env.DATABASE_URL ?? '' },
        timeout: 60_000,
      }),
    );
    const results = (await Promise.all(children)).map((c) => JSON.parse(c.stdout) as { applied: string[] });
    const applied = results.flatMap((r) => r.applied).sort();
    expect(applied).toEqual(['test-001-items', 'test-002-runs']);

    const db = database();
    await db.open();
    const runs = await db.kysely.withTables<ItemsTable>().selectFrom('runs').selectAll().execute();
    expect(runs).toHaveLength(1);
  });

  it('pings with a latency, and fails with DB_UNAVAILABLE once closed', async () => {
    const db = database();
    await db.open();
    expect(await db.ping(1000)).toBeGreaterThanOrEqual(0);
    await db.close();
    await expect(db.ping(1000)).rejects.toMatchObject({ code: 'DB_UNAVAILABLE' });
  });
});

describe('an unreachable PostgreSQL', () => {
  it('fails to open with DB_UNAVAILABLE, naming the server but not the password', async () => {
    const db = new Database(
      loadDbConfig({
        DATABASE_URL: 'postgres://root:s3cret@127.0.0.1:1/test',
        DATABASE_CONNECT_TIMEOUT_MS: '500',
      }),
    );
    const error = await db.open().catch((e: unknown) => e);
    await db.close();
    expect(error).toMatchObject({ code: 'DB_UNAVAILABLE' });
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(String((error as Error).message)).toContain('127.0.0.1:1/test');
    expect(String((error as Error).message)).not.toContain('s3cret');
  });
});

async function tableNames(db: Database): Promise<string[]> {
  if (db.engine === 'sqlite') {
    const { rows } = await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(
      db.kysely,
    );
    return rows.map((r) => r.name);
  }
  const { rows } = await sql<{ name: string }>`
    select table_name as name from information_schema.tables where table_schema = current_schema()`.execute(
    db.kysely,
  );
  return rows.map((r) => r.name);
}
