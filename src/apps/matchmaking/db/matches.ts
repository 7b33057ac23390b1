/**
 * Matches, ratings and game servers in the database. A batch of matches is created by one INSERT
 * (players, their ratings and teams, and the server in one row each), idempotent by match id so a
 * pairing batch recovered after a crash is not created twice. A result updates the match and
 * every player's rating in one transaction.
 */
import { eloDeltas } from '../elo.js';
import { MatchmakingError } from '../errors.js';
import { lockForWrite, type MatchmakingDb, type MatchmakingTables } from './tables.js';

export type MatchState = 'assigned' | 'waiting' | 'finished' | 'failed';

export interface MatchPlayer {
  id: string;
  rating: number;
  team: number;
  /** The ticket (party) the player queued with, and when it joined (ms). */
  ticket: string;
  joinedAt: number;
}

export interface MatchRecord {
  id: string;
  mode: string;
  region: string;
  state: MatchState;
  serverId: string | null;
  players: MatchPlayer[];
  winner: number | null;
  createdAt: number;
  finishedAt: number | null;
}

export interface ServerRecord {
  id: string;
  region: string;
  address: string;
  capacity: number;
  modes: string[];
  tokenDigest: string;
  registeredAt: number;
}

export interface RatingChange {
  id: string;
  before: number;
  after: number;
}

/** Rows per INSERT: well under SQLite's and PostgreSQL's bound-parameter limits (9 per row). */
const INSERT_CHUNK = 500;

export class MatchRepository {
  constructor(
    private readonly db: MatchmakingDb,
    private readonly engine: 'sqlite' | 'postgres',
  ) {}

  /** Stored ratings of these players (absent ones are not in the map). */
  async ratings(ids: readonly string[]): Promise<Map<string, number>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('mm_ratings')
      .select(['player_id', 'rating'])
      .where('player_id', 'in', [...ids])
      .execute();
    return new Map(rows.map((r) => [r.player_id, Number(r.rating)]));
  }

  /** One INSERT for the whole batch (per 500 matches); matches already created are left alone. */
  async create(matches: readonly MatchRecord[]): Promise<void> {
    for (let i = 0; i < matches.length; i += INSERT_CHUNK) {
      const rows = matches.slice(i, i + INSERT_CHUNK).map((m) => ({
        id: m.id,
        mode: m.mode,
        region: m.region,
        state: m.state,
        server_id: m.serverId,
        players: JSON.stringify(m.players),
        winner: null,
        created_at: m.createdAt,
        finished_at: null,
      }));
      await this.db
        .insertInto('mm_matches')
        .values(rows)
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    }
  }

  async get(id: string): Promise<MatchRecord | undefined> {
    const row = await this.db.selectFrom('mm_matches').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toMatch(row);
  }

  async getMany(ids: readonly string[]): Promise<MatchRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .selectFrom('mm_matches')
      .selectAll()
      .where('id', 'in', [...ids])
      .execute();
    return rows.map(toMatch);
  }

  /** Matches of a region that wait for a server, oldest first. */
  async waiting(region: string, limit: number): Promise<MatchRecord[]> {
    const rows = await this.db
      .selectFrom('mm_matches')
      .selectAll()
      .where('region', '=', region)
      .where('state', '=', 'waiting')
      .orderBy('created_at')
      .limit(limit)
      .execute();
    return rows.map(toMatch);
  }

  /** Moves an unfinished match to a server (or to `failed` / `waiting`); false if it had finished. */
  async setServer(id: string, serverId: string | null, state: MatchState): Promise<boolean> {
    const result = await this.db
      .updateTable('mm_matches')
      .set({ server_id: serverId, state })
      .where('id', '=', id)
      .where('state', 'in', ['assigned', 'waiting'])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Records a result reported by the match's server and updates every player's rating, in one
   * transaction. Team ratings are the players' current ratings (not those they queued with).
   */
  async finish(
    id: string,
    serverId: string,
    winner: number | null,
    teams: number,
    k: number,
    initialRating: number,
  ): Promise<{ match: MatchRecord; changes: RatingChange[] }> {
    return this.db.transaction().execute(async (trx) => {
      await lockForWrite(trx, this.engine);
      let select = trx.selectFrom('mm_matches').selectAll().where('id', '=', id);
      if (this.engine === 'postgres') select = select.forUpdate();
      const row = await select.executeTakeFirst();
      if (row === undefined) throw new MatchmakingError('MM_MATCH_NOT_FOUND', `no match ${id}`, { id });
      const match = toMatch(row);
      if (match.serverId !== serverId) {
        throw new MatchmakingError(
          'MM_SERVER_FORBIDDEN',
          `match ${id} is not assigned to server ${serverId}`,
        );
      }
      if (match.state !== 'assigned') {
        throw new MatchmakingError('MM_MATCH_FINISHED', `match ${id} is ${match.state}`, {
          state: match.state,
        });
      }
      if (winner !== null && (winner < 0 || winner >= teams)) {
        throw new MatchmakingError(
          'MM_INVALID_RESULT',
          `winner must be a team from 0 to ${teams - 1} or null`,
        );
      }
      const ids = match.players.map((p) => p.id);
      const stored = await trx
        .selectFrom('mm_ratings')
        .select(['player_id', 'rating'])
        .where('player_id', 'in', ids)
        .execute();
      const current = new Map(stored.map((r) => [r.player_id, Number(r.rating)]));
      const ratingOf = (p: MatchPlayer) => current.get(p.id) ?? initialRating;
      const sums = new Array<number>(teams).fill(0);
      const sizes = new Array<number>(teams).fill(0);
      for (const p of match.players) {
        sums[p.team]! += ratingOf(p);
        sizes[p.team]! += 1;
      }
      const deltas = eloDeltas(
        sums.map((s, t) => s / sizes[t]!),
        winner,
        k,
      );
      const now = Date.now();
      const changes: RatingChange[] = [];
      for (const p of match.players) {
        const before = ratingOf(p);
        const after = Math.max(0, before + deltas[p.team]!);
        changes.push({ id: p.id, before, after });
        await trx
          .insertInto('mm_ratings')
          .values({ player_id: p.id, rating: after, games: 1, updated_at: now })
          .onConflict((oc) =>
            oc.column('player_id').doUpdateSet((eb) => ({
              rating: after,
              games: eb('mm_ratings.games', '+', 1),
              updated_at: now,
            })),
          )
          .execute();
      }
      await trx
        .updateTable('mm_matches')
        .set({ state: 'finished', winner, finished_at: now })
        .where('id', '=', id)
        .execute();
      return { match: { ...match, state: 'finished', winner, finishedAt: now }, changes };
    });
  }

  async saveServer(server: ServerRecord): Promise<void> {
    const row = {
      id: server.id,
      region: server.region,
      address: server.address,
      capacity: server.capacity,
      modes: server.modes.join(','),
      token_digest: server.tokenDigest,
      registered_at: server.registeredAt,
    };
    await this.db
      .insertInto('mm_servers')
      .values(row)
      .onConflict((oc) => oc.column('id').doUpdateSet(row))
      .execute();
  }

  async server(id: string): Promise<ServerRecord | undefined> {
    const row = await this.db.selectFrom('mm_servers').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toServer(row);
  }

  async serversById(ids: readonly string[]): Promise<Map<string, ServerRecord>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('mm_servers')
      .selectAll()
      .where('id', 'in', [...ids])
      .execute();
    return new Map(rows.map((r) => [r.id, toServer(r)]));
  }

  async deleteServer(id: string): Promise<void> {
    await this.db.deleteFrom('mm_servers').where('id', '=', id).execute();
  }

  /** Registered servers in id order after `afterId` (keyset pagination). */
  async servers(afterId: string | undefined, limit: number): Promise<ServerRecord[]> {
    let query = this.db.selectFrom('mm_servers').selectAll();
    if (afterId !== undefined) query = query.where('id', '>', afterId);
    const rows = await query.orderBy('id').limit(limit).execute();
    return rows.map(toServer);
  }
}

function toMatch(row: MatchmakingTables['mm_matches']): MatchRecord {
  return {
    id: row.id,
    mode: row.mode,
    region: row.region,
    state: row.state as MatchState,
    serverId: row.server_id,
    players: JSON.parse(row.players) as MatchPlayer[],
    winner: row.winner === null ? null : Number(row.winner),
    createdAt: Number(row.created_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
  };
}

function toServer(row: MatchmakingTables['mm_servers']): ServerRecord {
  return {
    id: row.id,
    region: row.region,
    address: row.address,
    capacity: Number(row.capacity),
    modes: row.modes.split(','),
    tokenDigest: row.token_digest,
    registeredAt: Number(row.registered_at),
  };
}
