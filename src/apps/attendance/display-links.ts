/**
 * Display links: what a projector needs to show one roll call (its rotating code and live count)
 * without a staff sign-in. Staff create one for a session; its token is `<id>.<secret>` (the id and
 * 32 random bytes, base64url), of which the database keeps only the secret's SHA-256. A link is
 * valid while it is not revoked and its session is open: it expires with the session (closed, or
 * past its planned end). It grants the display's status, the code image and a connection token for
 * the `attendance-display` realtime endpoint as the user `display-link:<id>` (./realtime.ts), which
 * hears that session's rotations and counts only; nothing else (no marking, no student list, no
 * export, no photos: those routes ask for a staff session and never look at a link).
 *
 * Revocation takes effect at once for HTTP (every request reads the link) and for new WebSocket
 * connections (their token is issued through it); a socket already open, on any instance, is sent
 * `revoked` and then closed with 1008 (`RealtimeEndpoint.disconnect`).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { decodeCursor, encodeCursor } from './cursor.js';
import type { AttendanceTables } from './db/tables.js';
import { AttendanceError } from './errors.js';
import { newId, type RollCall } from './roll-calls.js';

export interface DisplayLink {
  id: string;
  sessionId: string;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
}

/** How long an instance trusts its list of a session's live links when announcing. */
const ACTIVE_MEMO_MS = 2_000;
const TOKEN = /^([a-z0-9]{16})\.([A-Za-z0-9_-]{43})$/;
/** Realtime user id of a link's displays. */
export function displayLinkUser(linkId: string): string {
  return `display-link:${linkId}`;
}

function hash(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

export class DisplayLinks {
  readonly #db: Kysely<AttendanceTables>;
  readonly #session: (id: string) => Promise<RollCall>;
  readonly #isOpen: (session: RollCall) => boolean;
  readonly #active = new Map<string, { at: number; ids: Promise<string[]> }>();

  constructor(options: {
    db: Kysely<AttendanceTables>;
    session: (id: string) => Promise<RollCall>;
    isOpen: (session: RollCall) => boolean;
  }) {
    this.#db = options.db;
    this.#session = options.session;
    this.#isOpen = options.isOpen;
  }

  /** A new link for an open session: the link and its token (shown once; only its hash is kept). */
  async create(sessionId: string, now = Date.now()): Promise<{ link: DisplayLink; token: string }> {
    const session = await this.#session(sessionId);
    if (!this.#isOpen(session))
      throw new AttendanceError('ATTENDANCE_SESSION_CLOSED', 'this roll call is closed');
    const id = newId();
    const secret = randomBytes(32).toString('base64url');
    const row = {
      id,
      session_id: sessionId,
      secret_hash: hash(secret),
      created_at: now,
      expires_at: session.endsAt,
      revoked_at: null,
    };
    await this.#db.insertInto('att_display_links').values(row).execute();
    this.#active.delete(sessionId);
    return { link: toLink(row), token: `${id}.${secret}` };
  }

  /** One page of a session's links, newest first; `next` is the opaque cursor of the next page. */
  async list(
    sessionId: string,
    limit: number,
    cursor?: string,
  ): Promise<{ items: DisplayLink[]; next: string | null }> {
    await this.#session(sessionId);
    let query = this.#db.selectFrom('att_display_links').selectAll().where('session_id', '=', sessionId);
    if (cursor !== undefined) {
      const after = decodeCursor(cursor);
      query = query.where((eb) =>
        eb.or([
          eb('created_at', '<', after.at),
          eb.and([eb('created_at', '=', after.at), eb('id', '<', after.id)]),
        ]),
      );
    }
    const rows = await query
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    const items = rows.slice(0, limit).map(toLink);
    const last = items.at(-1);
    const next =
      rows.length > limit && last !== undefined ? encodeCursor({ at: last.createdAt, id: last.id }) : null;
    return { items, next };
  }

  /** Revokes a link of the session (idempotent); ATTENDANCE_NOT_FOUND for a link of another session. */
  async revoke(sessionId: string, linkId: string, now = Date.now()): Promise<DisplayLink> {
    await this.#db
      .updateTable('att_display_links')
      .set({ revoked_at: now })
      .where('id', '=', linkId)
      .where('session_id', '=', sessionId)
      .where('revoked_at', 'is', null)
      .execute();
    this.#active.delete(sessionId);
    const row = await this.#db
      .selectFrom('att_display_links')
      .selectAll()
      .where('id', '=', linkId)
      .where('session_id', '=', sessionId)
      .executeTakeFirst();
    if (row === undefined) throw new AttendanceError('ATTENDANCE_NOT_FOUND', `no display link ${linkId}`);
    return toLink(row);
  }

  /** The link a token names and its session, if both are live; ATTENDANCE_LINK_INVALID otherwise. */
  async verify(token: string, now = Date.now()): Promise<{ link: DisplayLink; session: RollCall }> {
    const parts = TOKEN.exec(token);
    if (parts === null) throw invalid('malformed');
    const row = await this.#db
      .selectFrom('att_display_links')
      .selectAll()
      .where('id', '=', parts[1]!)
      .executeTakeFirst();
    const expected = Buffer.from(row?.secret_hash ?? hash(''), 'utf8');
    const given = Buffer.from(hash(parts[2]!), 'utf8');
    if (row === undefined || !timingSafeEqual(expected, given)) throw invalid('unknown');
    if (row.revoked_at !== null) throw invalid('revoked');
    const link = toLink(row);
    if (now >= link.expiresAt) throw invalid('expired');
    const session = await this.#session(link.sessionId);
    if (!this.#isOpen(session)) throw invalid('expired');
    return { link, session };
  }

  /** Ids of the session's live links (remembered for ACTIVE_MEMO_MS), for announcements. */
  active(sessionId: string, now = Date.now()): Promise<string[]> {
    const memo = this.#active.get(sessionId);
    if (memo !== undefined && now - memo.at < ACTIVE_MEMO_MS) return memo.ids;
    const ids = this.#db
      .selectFrom('att_display_links')
      .select('id')
      .where('session_id', '=', sessionId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .limit(100)
      .execute()
      .then((rows) => rows.map((r) => r.id));
    ids.catch(() => this.#active.delete(sessionId));
    if (this.#active.size >= 1_000) this.#active.clear();
    this.#active.set(sessionId, { at: now, ids });
    return ids;
  }
}

function invalid(why: string): AttendanceError {
  return new AttendanceError('ATTENDANCE_LINK_INVALID', `this display link is not valid (${why})`, {
    details: { reason: why },
  });
}

function toLink(row: AttendanceTables['att_display_links']): DisplayLink {
  return {
    id: row.id,
    sessionId: row.session_id,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}
