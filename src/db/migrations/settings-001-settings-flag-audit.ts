/**
 * Configuration values and the feature flags' audit trail (src/settings/, src/flags/).
 *
 * settings: one row per (collection, key); `value` is JSON text; `version` starts at 1 and grows by
 * one with every write (compare-and-set); `updated_at` epoch ms; `updated_by` who wrote it.
 * Feature flags are the rows of collection `features`.
 * flag_audit: one row per change of a flag, `before`/`after` JSON text (null when absent); `id`
 * grows with every row, so it orders the trail and is the (opaque) cursor's position.
 */
import type { Kysely } from 'kysely';
import type { Migration } from '../migration.js';

export const settings001SettingsFlagAudit: Migration = {
  name: 'settings-001-settings-flag-audit',
  async up(db: Kysely<unknown>, { engine }) {
    await db.schema
      .createTable('settings')
      .addColumn('collection', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('version', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('settings_pk', ['collection', 'key'])
      .execute();

    await db.schema
      .createTable('flag_audit')
      .addColumn('id', engine === 'postgres' ? 'bigserial' : 'integer', (c) =>
        engine === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
      )
      .addColumn('flag', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('before', 'text')
      .addColumn('after', 'text')
      .execute();
    await db.schema.createIndex('flag_audit_flag_id').on('flag_audit').columns(['flag', 'id']).execute();
  },
};
