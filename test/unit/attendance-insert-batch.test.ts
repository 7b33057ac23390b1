/**
 * The attendance app's group commit (src/apps/attendance/insert-batch.ts) on a real SQLite
 * database: concurrent inserts go out as few statements, each caller learns whether its own row
 * went in, rows that collide within a batch (double taps) end as one row, a failing batch falls
 * back to row-by-row so only the bad row fails, and batched reads answer each caller.
 */
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InsertBatch, ReadBatch } from '../../src/apps/attendance/insert-batch.js';

interface Row {
  session: string;
  student: string;
  device: string;
}
interface Tables {
  t: Row;
}

describe('InsertBatch and ReadBatch on SQLite', () => {
  let db: Kysely<Tables>;
  let statements: number;
  let batch: InsertBatch<Row>;

  beforeEach(async () => {
    db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
    await db.schema
      .createTable('t')
      .addColumn('session', 'text', (c) => c.notNull())
      .addColumn('student', 'text', (c) => c.notNull().check(sqlNotBad()))
      .addColumn('device', 'text', (c) => c.notNull())
      .addUniqueConstraint('t_student', ['session', 'student'])
      .addUniqueConstraint('t_device', ['session', 'device'])
      .execute();
    statements = 0;
    batch = new InsertBatch<Row>({
      uniqueKeys: [(r) => `${r.session} ${r.student}`, (r) => `${r.session} ${r.device}`],
      write: async (rows) => {
        statements++;
        const out = await db
          .insertInto('t')
          .values(rows)
          .onConflict((oc) => oc.doNothing())
          .returning(['session', 'student'])
          .execute();
        return out.map((r) => `${r.session} ${r.student}`);
      },
    });
  });
  afterEach(() => db.destroy());

  const rows = async () => (await db.selectFrom('t').selectAll().orderBy('student').execute()).length;

  it('writes concurrent rows in few statements and tells each caller its outcome', async () => {
    const answers = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        batch.insert({ session: 's', student: `u${i}`, device: `d${i}` }),
      ),
    );
    expect(answers.every(Boolean)).toBe(true);
    expect(await rows()).toBe(300);
    expect(statements).toBeLessThanOrEqual(3);
    // Already there: false, as ON CONFLICT DO NOTHING of a single row would say.
    expect(await batch.insert({ session: 's', student: 'u1', device: 'd1' })).toBe(false);
  });

  it('double taps in one batch make one row and one true; a second student on a used device is false', async () => {
    const [first, second, borrowed] = await Promise.all([
      batch.insert({ session: 's', student: 'alice', device: 'phone' }),
      batch.insert({ session: 's', student: 'alice', device: 'phone' }),
      batch.insert({ session: 's', student: 'bob', device: 'phone' }),
    ]);
    expect([first, second, borrowed]).toEqual([true, false, false]);
    expect(await rows()).toBe(1);
  });

  it('a bad row fails alone when its batch fails', async () => {
    const results = await Promise.allSettled([
      batch.insert({ session: 's', student: 'good1', device: 'a' }),
      batch.insert({ session: 's', student: 'bad', device: 'b' }),
      batch.insert({ session: 's', student: 'good2', device: 'c' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await rows()).toBe(2);
  });

  it('ReadBatch answers each caller from one query', async () => {
    let queries = 0;
    const read = new ReadBatch<number, number>(async (inputs) => {
      queries++;
      return inputs.map((n) => n * 2);
    });
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => read.get(i)));
    expect(answers).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));
    expect(queries).toBeLessThanOrEqual(2);
  });
});

/** A CHECK that refuses the student id `bad`, to make one row of a batch fail. */
function sqlNotBad() {
  return sql`student <> 'bad'`;
}
