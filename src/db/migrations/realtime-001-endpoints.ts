/**
 * Runtime realtime endpoints (src/realtime/runtime.ts): defined by an admin without a restart.
 * `options` is the endpoint's options as JSON (src/realtime/policy.ts); `updated_at` epoch ms.
 */
import type { Kysely } from 'kysely';
import type { Migration } from '../migration.js';

export const realtime001Endpoints: Migration = {
  name: 'realtime-001-endpoints',
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('realtime_endpoints')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('options', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};
