/**
 * Display links (docs/attendance.md, "Display links"): a projector shows one roll call's code and
 * count without a staff sign-in. The token's secret is stored only as its SHA-256; a link expires
 * with its session (`expires_at`, the session's planned end) and can be revoked (`revoked_at`).
 */
import type { Kysely } from 'kysely';
import type { Migration } from '../../../db/migration.js';

export const attendance002: Migration = {
  name: 'attendance-002-display-links',
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('att_display_links')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('session_id', 'text', (c) => c.notNull())
      .addColumn('secret_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('att_display_links_session')
      .on('att_display_links')
      .columns(['session_id'])
      .execute();
  },
};
