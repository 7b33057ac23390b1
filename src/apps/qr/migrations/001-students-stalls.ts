/**
 * The QR app's rosters: students and stalls, each with a token version that revocation bumps.
 * Ids come from the imported files (registration numbers, stall codes), 1–64 characters.
 */
import type { Kysely } from 'kysely';
import type { Migration } from '../../../db/migration.js';

async function createRoster(db: Kysely<unknown>, table: string): Promise<void> {
  await db.schema
    .createTable(table)
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_version', 'bigint', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

export const qr001StudentsStalls: Migration = {
  name: 'qr-001-students-stalls',
  async up(db) {
    await createRoster(db, 'qr_students');
    await createRoster(db, 'qr_stalls');
  },
};
