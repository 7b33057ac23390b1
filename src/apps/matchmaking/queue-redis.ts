/**
 * The queue in Redis (or the in-process store in memory mode): tickets per mode and region under
 * one hash tag (keys.ts), a record per player in its own key. Joining claims every player's record
 * first (mm_player_claim: at most one queue per player, re-join idempotent), then queues the
 * ticket (mm_join); pairing is one mm_pair script per batch.
 */
import type { Store } from '../../redis/store.js';
import { MatchmakingError } from './errors.js';
import type { MatchmakingKeys } from './keys.js';
import type { PairParams, Ticket } from './pairing.js';
import { ticketMember, ticketRating } from './pairing.js';
import { type PlayerRecord, parseRecord, queuedRecord } from './records.js';
import { mmJoin, mmLeave, mmPair, mmPlayerClaim, mmPlayerSet, mmStatus } from './scripts.js';

/** A batch made by one pairing run, before the matches are created in the database. */
export interface Proposal {
  id: string;
  createdAt: number;
  entries: { team: number; ticket: Ticket }[];
}

export type JoinOutcome = { joined: true; ticket: Ticket } | { joined: false; record: PlayerRecord };

export class RedisQueue {
  constructor(
    private readonly store: () => Store,
    private readonly keys: MatchmakingKeys,
    private readonly playerTtlMs: number,
  ) {}

  async join(mode: string, region: string, ticket: Ticket): Promise<JoinOutcome> {
    const store = this.store();
    const record = queuedRecord(mode, region, ticket.id, ticket.joinedAt);
    const claimed: string[] = [];
    const rollback = () =>
      Promise.all(claimed.map((id) => store.runScript(mmPlayerSet, [this.keys.player(id)], [record, '', 0])));
    for (const [i, player] of ticket.players.entries()) {
      const reply = (await store.runScript(
        mmPlayerClaim,
        [this.keys.player(player.id)],
        [record, `${mode}\t${region}`, this.playerTtlMs],
      )) as [number, string];
      if (reply[0] === 1) {
        claimed.push(player.id);
        continue;
      }
      await rollback();
      const existing = parseRecord(reply[1]);
      // The first player (who joins) already queued here: an idempotent re-join.
      if (reply[0] === 0 && i === 0 && existing !== null) return { joined: false, record: existing };
      throw new MatchmakingError('MM_ALREADY_QUEUED', `player ${player.id} is already queued`, {
        player: player.id,
      });
    }
    const q = this.keys.queue(mode, region);
    try {
      await store.runScript(
        mmJoin,
        [q.ratings, q.waits, q.tickets],
        [ticket.id, ticketRating(ticket), ticket.joinedAt, ticketMember(ticket), JSON.stringify(ticket)],
      );
    } catch (error) {
      // mm_join may have run although its answer was lost (a timeout, a failover): the ticket is
      // withdrawn for good (out of the queue, and a late mm_join cannot queue it) before the
      // players are released. Releasing them with the ticket possibly queued let a retried join
      // queue a second ticket, and the player into two matches. If the withdrawal fails too, the
      // records stay: a re-join answers this ticket, and leave() clears it once stale.
      await store
        .runScript(mmLeave, [q.ratings, q.waits, q.tickets], [ticket.id, 'withdraw'])
        .then(rollback)
        .catch(() => undefined);
      throw error;
    }
    return { joined: true, ticket };
  }

  async record(playerId: string): Promise<PlayerRecord | null> {
    return parseRecord(await this.store().get(this.keys.player(playerId)));
  }

  /** Removes the ticket if still queued, then every player's record; false if pairing took it. */
  async leave(record: Extract<PlayerRecord, { state: 'queued' }>): Promise<boolean> {
    const store = this.store();
    const q = this.keys.queue(record.mode, record.region);
    const left = await store.runScript(mmLeave, [q.ratings, q.waits, q.tickets], [record.ticket]);
    if (typeof left !== 'string') return false;
    const players = (JSON.parse(left) as Ticket).players.map((p) => p.id);
    await Promise.all(
      players.map((id) => store.runScript(mmPlayerSet, [this.keys.player(id)], [record.raw, '', 0])),
    );
    return true;
  }

  /** Drops a record whose ticket is gone (a stale record after lost Redis data). */
  async forget(playerId: string, record: PlayerRecord): Promise<void> {
    await this.store().runScript(mmPlayerSet, [this.keys.player(playerId)], [record.raw, '', 0]);
  }

  /** 0-based place in the queue, oldest first; null when the ticket is no longer queued. */
  async position(mode: string, region: string, ticket: string): Promise<number | null> {
    const q = this.keys.queue(mode, region);
    const reply = (await this.store().runScript(mmStatus, [q.waits, q.tickets], [ticket])) as number[];
    return reply[0] === 1 ? reply[1]! : null;
  }

  async size(mode: string, region: string): Promise<number> {
    return this.store().zCard(this.keys.queue(mode, region).ratings);
  }

  /**
   * One pairing run (around `params.anchor` only, when given); the proposals are recorded in Redis
   * until `settle`. `waiting`: the tickets left in the queue after it.
   */
  async pair(
    mode: string,
    region: string,
    params: PairParams,
    ids: readonly string[],
  ): Promise<{ proposals: Proposal[]; waiting: number }> {
    const q = this.keys.queue(mode, region);
    const reply = (await this.store().runScript(
      mmPair,
      [q.ratings, q.waits, q.tickets, q.proposals],
      [
        params.now,
        params.teams,
        params.teamSize,
        params.balance ? 1 : 0,
        params.initial,
        params.growth,
        params.max,
        params.maxMatches,
        params.maxAnchors,
        params.anchor ?? '',
        ...ids,
      ],
    )) as (string | number)[];
    const proposals: Proposal[] = [];
    for (let i = 1; i < reply.length; ) {
      const id = String(reply[i]);
      const count = Number(reply[i + 1]);
      i += 2;
      const entries: Proposal['entries'] = [];
      for (let k = 0; k < count; k++, i += 2) {
        entries.push({ team: Number(reply[i]), ticket: JSON.parse(String(reply[i + 1])) as Ticket });
      }
      proposals.push({ id, createdAt: params.now, entries });
    }
    return { proposals, waiting: Number(reply[0]) };
  }

  /** Proposals older than `before` (their pairer died before creating the matches). */
  async stale(mode: string, region: string, before: number): Promise<Proposal[]> {
    const all = await this.store().hGetAll(this.keys.queue(mode, region).proposals);
    const out: Proposal[] = [];
    for (const [id, value] of Object.entries(all)) {
      const [createdAt, ...lines] = value.split('\n');
      if (Number(createdAt) >= before) continue;
      out.push({
        id,
        createdAt: Number(createdAt),
        entries: lines.map((line) => {
          const tab = line.indexOf('\t');
          return { team: Number(line.slice(0, tab)), ticket: JSON.parse(line.slice(tab + 1)) as Ticket };
        }),
      });
    }
    return out;
  }

  /** The matches exist in the database: forget the proposals. */
  async settle(mode: string, region: string, ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.store().hDel(this.keys.queue(mode, region).proposals, ids);
  }

  /** Player records move from queued to matched (unless the player has moved on). */
  async markMatched(updates: readonly { player: string; from: string; to: string }[]): Promise<void> {
    const store = this.store();
    await Promise.all(
      updates.map((u) =>
        store.runScript(mmPlayerSet, [this.keys.player(u.player)], [u.from, u.to, this.playerTtlMs]),
      ),
    );
  }

  /** Queues a ticket that waited in the database, with its original join time (its place). */
  async restore(mode: string, region: string, ticket: Ticket): Promise<void> {
    const store = this.store();
    const record = queuedRecord(mode, region, ticket.id, ticket.joinedAt);
    const q = this.keys.queue(mode, region);
    await Promise.all(
      ticket.players.map((p) => store.set(this.keys.player(p.id), record, { px: this.playerTtlMs })),
    );
    await store.runScript(
      mmJoin,
      [q.ratings, q.waits, q.tickets],
      [ticket.id, ticketRating(ticket), ticket.joinedAt, ticketMember(ticket), JSON.stringify(ticket)],
    );
  }
}
