/**
 * The QR rosters in the database (tables `qr_students` and `qr_stalls`, migration
 * qr-001-students-stalls). One query per call, written once for SQLite and PostgreSQL.
 */
import type { Kysely } from 'kysely';
import type { Database, PlexusTables } from '../../../db/index.js';
import type { SubjectType } from '../tokens/types.js';

// Type aliases, not interfaces: Kysely's table map needs an index-signature-compatible type.
type RosterTable = {
  id: string;
  name: string;
  token_version: number;
  created_at: number;
  updated_at: number;
};

export type QRTables = {
  qr_students: RosterTable;
  qr_stalls: RosterTable;
};

const TABLES = { student: 'qr_students', stall: 'qr_stalls' } as const;

export interface SubjectRecord {
  type: SubjectType;
  id: string;
  name: string;
  tokenVersion: number;
}

export interface UpsertCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

/** Rows per statement: well under SQLite's 32,766 bound parameters and PostgreSQL's 65,535. */
const WRITE_CHUNK = 500;

export class QRRepository {
  readonly #db: Kysely<PlexusTables & QRTables>;

  constructor(db: Database) {
    this.#db = db.kysely.withTables<QRTables>();
  }

  async find(type: SubjectType, id: string): Promise<SubjectRecord | undefined> {
    const row = await this.#db
      .selectFrom(TABLES[type])
      .select(['id', 'name', 'token_version'])
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : toRecord(type, row);
  }

  async count(type: SubjectType): Promise<number> {
    const row = await this.#db
      .selectFrom(TABLES[type])
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Up to `limit` records with ids after `afterId`, in id order (keyset pagination). */
  async page(type: SubjectType, afterId: string | undefined, limit: number): Promise<SubjectRecord[]> {
    let query = this.#db.selectFrom(TABLES[type]).select(['id', 'name', 'token_version']);
    if (afterId !== undefined) query = query.where('id', '>', afterId);
    const rows = await query.orderBy('id').limit(limit).execute();
    return rows.map((row) => toRecord(type, row));
  }

  /** Bumps the token version (revoking every token issued so far); the new version, or undefined. */
  async bumpVersion(type: SubjectType, id: string): Promise<number | undefined> {
    const row = await this.#db
      .updateTable(TABLES[type])
      .set((eb) => ({ token_version: eb('token_version', '+', 1), updated_at: Date.now() }))
      .where('id', '=', id)
      .returning('token_version')
      .executeTakeFirst();
    return row === undefined ? undefined : Number(row.token_version);
  }

  /**
   * Inserts new ids and renames existing ones, in one transaction per chunk; token versions of
   * existing rows are kept, so re-importing a roster never revokes anyone's code.
   */
  async upsert(type: SubjectType, rows: readonly { id: string; name: string }[]): Promise<UpsertCounts> {
    const counts: UpsertCounts = { inserted: 0, updated: 0, unchanged: 0 };
    const table = TABLES[type];
    for (let start = 0; start < rows.length; start += WRITE_CHUNK) {
      const chunk = rows.slice(start, start + WRITE_CHUNK);
      await this.#db.transaction().execute(async (trx) => {
        const existing = await trx
          .selectFrom(table)
          .select(['id', 'name'])
          .where(
            'id',
            'in',
            chunk.map((r) => r.id),
          )
          .execute();
        const names = new Map(existing.map((r) => [r.id, r.name]));
        const now = Date.now();
        const fresh = chunk.filter((r) => !names.has(r.id));
        const renamed = chunk.filter((r) => names.has(r.id) && names.get(r.id) !== r.name);
        if (fresh.length > 0) {
          await trx
            .insertInto(table)
            .values(
              fresh.map((r) => ({
                id: r.id,
                name: r.name,
                token_version: 1,
                created_at: now,
                updated_at: now,
              })),
            )
            .onConflict((oc) => oc.column('id').doNothing())
            .execute();
        }
        for (const r of renamed) {
          await trx
            .updateTable(table)
            .set({ name: r.name, updated_at: now })
            .where('id', '=', r.id)
            .execute();
        }
        counts.inserted += fresh.length;
        counts.updated += renamed.length;
        counts.unchanged += chunk.length - fresh.length - renamed.length;
      });
    }
    return counts;
  }
}

function toRecord(
  type: SubjectType,
  row: { id: string; name: string; token_version: number | string | bigint },
): SubjectRecord {
  return { type, id: row.id, name: row.name, tokenVersion: Number(row.token_version) };
}
