/**
 * The matchmaking app's tables: ratings per player, matches (players and server in one row, so a
 * match is created by one query), the game servers' tokens, and the queue used while Redis is
 * unreachable (tickets and one record per player, as in Redis).
 */
import type { Migration } from '../../../db/migration.js';

export const mm001Matchmaking: Migration = {
  name: 'matchmaking-001-ratings-matches-servers-queue',
  async up(db) {
    await db.schema
      .createTable('mm_ratings')
      .addColumn('player_id', 'text', (c) => c.primaryKey())
      .addColumn('rating', 'integer', (c) => c.notNull())
      .addColumn('games', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('mm_matches')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('mode', 'text', (c) => c.notNull())
      .addColumn('region', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('server_id', 'text')
      .addColumn('players', 'text', (c) => c.notNull())
      .addColumn('winner', 'integer')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('finished_at', 'bigint')
      .execute();
    await db.schema.createIndex('mm_matches_state').on('mm_matches').columns(['region', 'state']).execute();
    await db.schema
      .createTable('mm_servers')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('region', 'text', (c) => c.notNull())
      .addColumn('address', 'text', (c) => c.notNull())
      .addColumn('capacity', 'integer', (c) => c.notNull())
      .addColumn('modes', 'text', (c) => c.notNull())
      .addColumn('token_digest', 'text', (c) => c.notNull())
      .addColumn('registered_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('mm_queue')
      .addColumn('ticket_id', 'text', (c) => c.primaryKey())
      .addColumn('mode', 'text', (c) => c.notNull())
      .addColumn('region', 'text', (c) => c.notNull())
      .addColumn('joined_at', 'bigint', (c) => c.notNull())
      .addColumn('ticket', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('mm_queue_age')
      .on('mm_queue')
      .columns(['mode', 'region', 'joined_at'])
      .execute();
    await db.schema
      .createTable('mm_queue_players')
      .addColumn('player_id', 'text', (c) => c.primaryKey())
      .addColumn('record', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};
