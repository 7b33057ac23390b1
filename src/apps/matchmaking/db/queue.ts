/**
 * The queue in the database, used while Redis cannot be reached (the seed's "PostgreSQL
 * fallback"): tickets in `mm_queue`, a record per player in `mm_queue_players` (the same strings
 * as in Redis, records.ts). At most one queue per player holds as in Redis: a player's row is
 * written only where none exists or it says matched (one INSERT … ON CONFLICT … WHERE).
 *
 * Pairing runs the algorithm of pairing.ts inside one transaction that also deletes the matched
 * tickets, marks the players matched and creates the matches: on PostgreSQL over the tickets it
 * could lock (`FOR UPDATE SKIP LOCKED`, so concurrent pairers work on disjoint tickets), on SQLite
 * in one write transaction (taken first, so concurrent processes queue behind it). Either way no
 * ticket can be in two matches.
 */

import { MatchmakingError } from '../errors.js';
import { type PairParams, pairQueue, snapshotOf, type Ticket } from '../pairing.js';
import type { JoinOutcome } from '../queue-redis.js';
import { matchedRecord, type PlayerRecord, parseRecord, queuedRecord } from '../records.js';
import { type MatchRecord, MatchRepository } from './matches.js';
import { lockForWrite, type MatchmakingDb } from './tables.js';

class Idempotent extends Error {
  constructor(readonly record: PlayerRecord) {
    super('already queued');
  }
}

/** Most tickets one database pairing run reads. */
const READ_LIMIT = 20_000;

export class DatabaseQueue {
  constructor(
    private readonly db: MatchmakingDb,
    private readonly engine: 'sqlite' | 'postgres',
  ) {}

  async join(mode: string, region: string, ticket: Ticket): Promise<JoinOutcome> {
    const record = queuedRecord(mode, region, ticket.id, ticket.joinedAt);
    try {
      await this.db.transaction().execute(async (trx) => {
        await lockForWrite(trx, this.engine);
        for (const [i, player] of ticket.players.entries()) {
          const written = await trx
            .insertInto('mm_queue_players')
            .values({ player_id: player.id, record, updated_at: Date.now() })
            .onConflict((oc) =>
              oc
                .column('player_id')
                .doUpdateSet({ record, updated_at: Date.now() })
                .where('mm_queue_players.record', 'like', 'm%'),
            )
            .returning('player_id')
            .executeTakeFirst();
          if (written !== undefined) continue;
          const row = await trx
            .selectFrom('mm_queue_players')
            .select('record')
            .where('player_id', '=', player.id)
            .executeTakeFirst();
          const existing = parseRecord(row?.record);
          if (
            i === 0 &&
            existing?.state === 'queued' &&
            existing.mode === mode &&
            existing.region === region
          ) {
            throw new Idempotent(existing);
          }
          throw new MatchmakingError('MM_ALREADY_QUEUED', `player ${player.id} is already queued`, {
            player: player.id,
          });
        }
        await trx
          .insertInto('mm_queue')
          .values({
            ticket_id: ticket.id,
            mode,
            region,
            joined_at: ticket.joinedAt,
            ticket: JSON.stringify(ticket),
          })
          .execute();
      });
    } catch (error) {
      if (error instanceof Idempotent) return { joined: false, record: error.record };
      throw error;
    }
    return { joined: true, ticket };
  }

  async record(playerId: string): Promise<PlayerRecord | null> {
    const row = await this.db
      .selectFrom('mm_queue_players')
      .select('record')
      .where('player_id', '=', playerId)
      .executeTakeFirst();
    return parseRecord(row?.record);
  }

  async leave(record: Extract<PlayerRecord, { state: 'queued' }>): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await lockForWrite(trx, this.engine);
      const deleted = await trx
        .deleteFrom('mm_queue')
        .where('ticket_id', '=', record.ticket)
        .executeTakeFirst();
      if (Number(deleted.numDeletedRows) === 0) return false;
      await trx.deleteFrom('mm_queue_players').where('record', '=', record.raw).execute();
      return true;
    });
  }

  async position(mode: string, region: string, ticket: string, joinedAt: number): Promise<number | null> {
    const exists = await this.db
      .selectFrom('mm_queue')
      .select('ticket_id')
      .where('ticket_id', '=', ticket)
      .executeTakeFirst();
    if (exists === undefined) return null;
    const row = await this.db
      .selectFrom('mm_queue')
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
      .where('mode', '=', mode)
      .where('region', '=', region)
      .where((eb) =>
        eb.or([
          eb('joined_at', '<', joinedAt),
          eb.and([eb('joined_at', '=', joinedAt), eb('ticket_id', '<', ticket)]),
        ]),
      )
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async size(mode: string, region: string): Promise<number> {
    const row = await this.db
      .selectFrom('mm_queue')
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
      .where('mode', '=', mode)
      .where('region', '=', region)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * One pairing run in one transaction: reads (and on PostgreSQL locks) the tickets, pairs them,
   * deletes the matched ones, marks their players matched and creates the matches (`build` turns
   * a proposal into the row, without a server: none can be assigned while Redis is down).
   */
  async pair(
    mode: string,
    region: string,
    params: PairParams,
    ids: readonly string[],
    build: (id: string, entries: { team: number; ticket: Ticket }[]) => MatchRecord,
  ): Promise<MatchRecord[]> {
    return this.db.transaction().execute(async (trx) => {
      await lockForWrite(trx, this.engine);
      let select = trx
        .selectFrom('mm_queue')
        .select('ticket')
        .where('mode', '=', mode)
        .where('region', '=', region)
        .orderBy('joined_at')
        .limit(READ_LIMIT);
      if (this.engine === 'postgres') select = select.forUpdate().skipLocked();
      const rows = await select.execute();
      const tickets = rows.map((r) => JSON.parse(r.ticket) as Ticket);
      const proposals = pairQueue(snapshotOf(tickets), params);
      if (proposals.length === 0) return [];
      const matches = proposals.map((p, i) => build(ids[i]!, p.entries));
      const matched = matches.flatMap((m) => [...new Set(m.players.map((p) => p.ticket))]);
      await trx.deleteFrom('mm_queue').where('ticket_id', 'in', matched).execute();
      for (const m of matches) {
        const byTicket = new Map(m.players.map((p) => [p.ticket, p]));
        for (const ticketId of byTicket.keys()) {
          const t = tickets.find((x) => x.id === ticketId)!;
          await trx
            .updateTable('mm_queue_players')
            .set({ record: matchedRecord(m.id), updated_at: Date.now() })
            .where('record', '=', queuedRecord(mode, region, t.id, t.joinedAt))
            .execute();
        }
      }
      await new MatchRepository(trx, this.engine).create(matches);
      return matches;
    });
  }

  /** Takes up to `limit` tickets of a mode and region out of the database, oldest first. */
  async drain(
    mode: string,
    region: string,
    limit: number,
    move: (tickets: Ticket[]) => Promise<void>,
  ): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      await lockForWrite(trx, this.engine);
      let select = trx
        .selectFrom('mm_queue')
        .select(['ticket_id', 'ticket'])
        .where('mode', '=', mode)
        .where('region', '=', region)
        .orderBy('joined_at')
        .limit(limit);
      if (this.engine === 'postgres') select = select.forUpdate().skipLocked();
      const rows = await select.execute();
      if (rows.length === 0) return 0;
      const tickets = rows.map((r) => JSON.parse(r.ticket) as Ticket);
      await move(tickets);
      await trx
        .deleteFrom('mm_queue')
        .where(
          'ticket_id',
          'in',
          rows.map((r) => r.ticket_id),
        )
        .execute();
      const records = tickets.map((t) => queuedRecord(mode, region, t.id, t.joinedAt));
      await trx.deleteFrom('mm_queue_players').where('record', 'in', records).execute();
      return rows.length;
    });
  }

  /** Cheap check before a pairing transaction: are there enough queued players to try? */
  async hasAny(mode: string, region: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('mm_queue')
      .select('ticket_id')
      .where('mode', '=', mode)
      .where('region', '=', region)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }
}
