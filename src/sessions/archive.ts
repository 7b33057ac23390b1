/**
 * The database copy of sessions for durable mode (table `sessions`, migration
 * sessions-001-accounts-sessions), one query set for SQLite and PostgreSQL.
 *
 * A write never overwrites a tombstone (`ended_at` set) nor a newer copy: it applies only when its
 * version is higher, or equal with a later or equal last-seen time (a renewal). A copy valid
 * before its user's logout epoch (`session_epochs`, epochs.ts) is never read back.
 */
import { type ExpressionBuilder, type Generated, type Kysely, type Selectable, sql } from 'kysely';
import type { Database, PlexusTables } from '../db/database.js';
import type { SessionArchive } from './durable.js';
import type { SessionRecord } from './record.js';

type SessionsTable = {
  id: string;
  user_id: string | null;
  claims: string | null;
  data: Generated<string>;
  cookie: string | null;
  device: Generated<string>;
  ip: Generated<string>;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  ttl_ms: number;
  version: number;
  ended_at: number | null;
  valid_from: number | null;
};

type EpochsTable = { user_id: string; epoch: number };

type Row = Selectable<SessionsTable>;

export class DatabaseSessionArchive implements SessionArchive {
  readonly #db: Kysely<PlexusTables & { sessions: SessionsTable; session_epochs: EpochsTable }>;

  constructor(db: Database) {
    this.#db = db.kysely.withTables<{ sessions: SessionsTable; session_epochs: EpochsTable }>();
  }

  async raiseEpoch(userId: string, epoch: number): Promise<void> {
    await this.#db
      .insertInto('session_epochs')
      .values({ user_id: userId, epoch })
      .onConflict((oc) =>
        oc.column('user_id').doUpdateSet({ epoch }).where('session_epochs.epoch', '<', epoch),
      )
      .execute();
  }

  async epochs(): Promise<[userId: string, epoch: number][]> {
    const rows = await this.#db.selectFrom('session_epochs').selectAll().execute();
    return rows.map((row) => [row.user_id, Number(row.epoch)]);
  }

  async purgeEpochs(before: number): Promise<void> {
    await this.#db.deleteFrom('session_epochs').where('epoch', '<', before).execute();
  }

  async save(records: readonly SessionRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.#db
      .insertInto('sessions')
      .values(records.map(toRow))
      .onConflict((oc) =>
        oc
          .column('id')
          .doUpdateSet((eb) => ({
            user_id: eb.ref('excluded.user_id'),
            claims: eb.ref('excluded.claims'),
            data: eb.ref('excluded.data'),
            cookie: eb.ref('excluded.cookie'),
            device: eb.ref('excluded.device'),
            ip: eb.ref('excluded.ip'),
            last_seen_at: eb.ref('excluded.last_seen_at'),
            expires_at: eb.ref('excluded.expires_at'),
            ttl_ms: eb.ref('excluded.ttl_ms'),
            version: eb.ref('excluded.version'),
            valid_from: eb.ref('excluded.valid_from'),
          }))
          .where((eb) =>
            eb.and([
              eb('sessions.ended_at', 'is', null),
              eb.or([
                eb('excluded.version', '>', eb.ref('sessions.version')),
                eb.and([
                  eb('excluded.version', '=', eb.ref('sessions.version')),
                  eb('excluded.last_seen_at', '>=', eb.ref('sessions.last_seen_at')),
                ]),
              ]),
            ]),
          ),
      )
      .execute();
  }

  async end(ids: readonly string[], at: number): Promise<void> {
    if (ids.length === 0) return;
    // A tombstone for ids never copied, so that a late write cannot bring them back either.
    await this.#db
      .insertInto('sessions')
      .values(
        ids.map((id) => ({
          id,
          created_at: at,
          last_seen_at: at,
          expires_at: at,
          ttl_ms: 0,
          version: 0,
          ended_at: at,
          valid_from: null,
        })),
      )
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({ ended_at: at }).where('sessions.ended_at', 'is', null),
      )
      .execute();
  }

  async endUser(userId: string, at: number, exceptId?: string): Promise<void> {
    let query = this.#db
      .updateTable('sessions')
      .set({ ended_at: at })
      .where('user_id', '=', userId)
      .where('ended_at', 'is', null);
    if (exceptId !== undefined) {
      query = query.where('id', '!=', exceptId);
      // The kept session survives this epoch.
      await this.#db
        .updateTable('sessions')
        .set({ valid_from: at })
        .where('id', '=', exceptId)
        .where('ended_at', 'is', null)
        .execute();
    }
    await query.execute();
  }

  async get(id: string, now: number): Promise<SessionRecord | null> {
    const row = await this.#db
      .selectFrom('sessions')
      .selectAll()
      .where('id', '=', id)
      .where('ended_at', 'is', null)
      .where('expires_at', '>', now)
      .where(notBeforeEpoch)
      .executeTakeFirst();
    return row === undefined ? null : fromRow(row);
  }

  async page(now: number, afterId: string, limit: number): Promise<SessionRecord[]> {
    const rows = await this.#db
      .selectFrom('sessions')
      .selectAll()
      .where('ended_at', 'is', null)
      .where('expires_at', '>', now)
      .where(notBeforeEpoch)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(fromRow);
  }

  async purge(before: number): Promise<number> {
    const result = await this.#db.deleteFrom('sessions').where('expires_at', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Live rows (for tests and operators). */
  async count(now: number): Promise<number> {
    const row = await this.#db
      .selectFrom('sessions')
      .select(sql<number>`count(*)`.as('n'))
      .where('ended_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}

function toRow(record: SessionRecord): Row {
  const { id: _id, ...claims } = record.user ?? { id: '' };
  return {
    id: record.id,
    user_id: record.user?.id ?? null,
    claims: record.user === null ? null : JSON.stringify(claims),
    data: JSON.stringify(record.data),
    cookie: record.cookie === null ? null : JSON.stringify(record.cookie),
    device: record.device,
    ip: record.ip,
    created_at: record.createdAt,
    last_seen_at: record.lastSeenAt,
    expires_at: record.expiresAt,
    ttl_ms: record.ttlMs,
    version: record.version,
    ended_at: null,
    valid_from: record.validFrom ?? null,
  };
}

function fromRow(row: Row): SessionRecord {
  const claims = row.claims === null ? {} : (JSON.parse(row.claims) as Record<string, unknown>);
  return {
    id: row.id,
    user: row.user_id === null ? null : { ...claims, id: row.user_id },
    data: JSON.parse(row.data) as Record<string, unknown>,
    createdAt: Number(row.created_at),
    lastSeenAt: Number(row.last_seen_at),
    expiresAt: Number(row.expires_at),
    ttlMs: Number(row.ttl_ms),
    version: Number(row.version),
    device: row.device,
    ip: row.ip,
    indexDueAt: 0,
    cookie: row.cookie === null ? null : (JSON.parse(row.cookie) as Record<string, unknown>),
    ...(row.valid_from === null ? {} : { validFrom: Number(row.valid_from) }),
  };
}

/** No logout epoch of the session's user is later than the time the session is valid from. */
function notBeforeEpoch(
  eb: ExpressionBuilder<{ sessions: SessionsTable; session_epochs: EpochsTable }, 'sessions'>,
) {
  return eb.not(
    eb.exists(
      eb
        .selectFrom('session_epochs')
        .select('session_epochs.user_id')
        .whereRef('session_epochs.user_id', '=', 'sessions.user_id')
        .where('session_epochs.epoch', '>', eb.fn.coalesce('sessions.valid_from', 'sessions.created_at')),
    ),
  );
}
