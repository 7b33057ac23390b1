/**
 * Logout epochs in durable mode (src/sessions/epochs.ts, archive.ts).
 *
 * session_epochs: one row per user who logged out everywhere, the latest epoch (ms); a session
 * copy valid before its user's epoch is never served nor put back into Redis. sessions.valid_from:
 * set when a logout-all kept the session (`keepCurrent`); null means its creation time.
 */
import type { Kysely } from 'kysely';
import type { Migration } from '../migration.js';

export const sessions002LogoutEpochs: Migration = {
  name: 'sessions-002-logout-epochs',
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('session_epochs')
      .addColumn('user_id', 'text', (c) => c.primaryKey())
      .addColumn('epoch', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.alterTable('sessions').addColumn('valid_from', 'bigint').execute();
  },
};
