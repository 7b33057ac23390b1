/** The matchmaking tables as Kysely sees them (migration matchmaking-001). */
import type { Kysely } from 'kysely';
import type { Database, PlexusTables } from '../../../db/index.js';

// Type aliases, not interfaces: Kysely's table map needs an index-signature-compatible type.
// bigint columns arrive as strings from PostgreSQL; readers convert with Number().
export type MatchmakingTables = {
  mm_ratings: { player_id: string; rating: number; games: number; updated_at: number | string };
  mm_matches: {
    id: string;
    mode: string;
    region: string;
    state: string;
    server_id: string | null;
    players: string;
    winner: number | null;
    created_at: number | string;
    finished_at: number | string | null;
  };
  mm_servers: {
    id: string;
    region: string;
    address: string;
    capacity: number;
    modes: string;
    token_digest: string;
    registered_at: number | string;
  };
  mm_queue: { ticket_id: string; mode: string; region: string; joined_at: number | string; ticket: string };
  mm_queue_players: { player_id: string; record: string; updated_at: number | string };
};

export type MatchmakingDb = Kysely<PlexusTables & MatchmakingTables>;

export function matchmakingDb(db: Database): MatchmakingDb {
  return db.kysely.withTables<MatchmakingTables>();
}

/**
 * SQLite: takes the write lock at the start of a transaction (a no-op write), so that a second
 * process waits for it (busy timeout) instead of failing with SQLITE_BUSY when a transaction that
 * began by reading tries to write. PostgreSQL locks rows instead.
 */
export async function lockForWrite(trx: MatchmakingDb, engine: 'sqlite' | 'postgres'): Promise<void> {
  if (engine === 'sqlite') await trx.deleteFrom('mm_queue').where('ticket_id', '=', '').execute();
}
