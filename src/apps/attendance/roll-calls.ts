/**
 * Roll calls: courses, sessions and check-ins (seed 000).
 *
 * A check-in is one row per (session, student) and one per (session, device): both are unique
 * constraints, and the insert is `ON CONFLICT DO NOTHING`, so a retried request, a double tap or
 * the same request on two instances yields one row, and the answer for a repeat is the row already
 * there (`duplicate: true`). Nothing about a check-in lives only in Redis: the database is the
 * record, Redis holds caches (sessions' metadata, device owners), so check-ins work on every
 * instance while Redis is down.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { CacheNamespace } from '../../cache/index.js';
import type { DbEngine } from '../../db/index.js';
import type { Announcer } from './announcer.js';
import { type CheckinWrite, checkinKey, writeCheckinsPostgres } from './checkin-statement.js';
import type { CodeCheck, RotatingCodes } from './codes.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import type { AttendanceTables } from './db/tables.js';
import type { Devices } from './devices.js';
import { AttendanceError } from './errors.js';
import { CheckinFeed } from './feed.js';
import { InsertBatch, RowBatch } from './insert-batch.js';

/** Both unique constraints of a check-in: one row per (session, student), one per (session, device). */
const CHECKIN_KEYS = [
  checkinKey,
  (r: AttendanceTables['att_checkins']) => `${r.session_id} ${r.device_id}`,
] as const;

export interface Course {
  id: string;
  name: string;
  createdAt: number;
}

export interface RollCall {
  id: string;
  courseId: string;
  courseName: string;
  room: string;
  startsAt: number;
  endsAt: number;
  photoRequired: boolean;
  lateAfterMinutes: number | null;
  closedAt: number | null;
}

export interface NewRollCall {
  courseId: string;
  room: string;
  startsAt?: number;
  endsAt: number;
  photoRequired?: boolean;
  lateAfterMinutes?: number | null;
}

export interface Checkin {
  sessionId: string;
  studentId: string;
  at: number;
  status: 'present' | 'absent';
  late: boolean;
  flagged: boolean;
  source: 'code' | 'manual';
  reason: string | null;
  photoId: string | null;
}

export interface CheckinResult {
  checkin: Checkin;
  /** True when the student had already checked in (a retry or a double tap): nothing was written. */
  duplicate: boolean;
}

export interface DisplayStatus {
  sessionId: string;
  name: string;
  room: string;
  code: string;
  window: number;
  codeExpiresAt: number;
  periodMs: number;
  count: number;
  startsAt: number;
  endsAt: number;
  open: boolean;
}

/** In-process memo of each session's count, so polling displays cost one query per second. */
const COUNT_MEMO_MS = 1_000;
const COUNT_MEMO_ENTRIES = 1_000;
/** How long a student who opened a fresh code has to take the photo and check in. */
const TICKET_TTL_MS = 120_000;

export function newId(): string {
  // 16 characters of [a-z0-9]: fits the code format and reads well in a URL.
  const bytes = randomBytes(16);
  let id = '';
  for (const b of bytes) id += (b % 36).toString(36);
  return id;
}

export class RollCalls {
  readonly codes: RotatingCodes;
  readonly #db: Kysely<AttendanceTables>;
  readonly #sessions: CacheNamespace;
  readonly #devices: Devices;
  readonly #announcer: () => Announcer;
  readonly #counts = new Map<string, { at: number; count: Promise<number> }>();
  readonly #feed: CheckinFeed;
  /** Check-ins written in batches (./insert-batch.ts): a burst is a few statements, not one per student. */
  readonly #inserts: InsertBatch<AttendanceTables['att_checkins']>;
  /** PostgreSQL: device binding and check-in in one statement per batch (./checkin-statement.ts). */
  readonly #codeCheckins: RowBatch<AttendanceTables['att_checkins'], CheckinWrite> | undefined;

  constructor(options: {
    db: Kysely<AttendanceTables>;
    codes: RotatingCodes;
    sessionCache: CacheNamespace;
    devices: Devices;
    announcer: () => Announcer;
    engine: DbEngine;
  }) {
    this.#db = options.db;
    this.codes = options.codes;
    this.#sessions = options.sessionCache;
    this.#devices = options.devices;
    this.#announcer = options.announcer;
    this.#feed = new CheckinFeed(options.announcer, (id) => this.count(id, { fresh: true }));
    const db = options.db;
    this.#inserts = new InsertBatch({
      uniqueKeys: CHECKIN_KEYS,
      write: async (rows) =>
        (
          await db
            .insertInto('att_checkins')
            .values(rows)
            .onConflict((oc) => oc.doNothing())
            .returning(['session_id', 'student_id'])
            .execute()
        ).map(checkinKey),
    });
    // On SQLite (in process, no round trips) the device and the check-in stay separate statements.
    this.#codeCheckins =
      options.engine === 'postgres'
        ? new RowBatch({
            uniqueKeys: CHECKIN_KEYS,
            write: (rows) => writeCheckinsPostgres(db, rows),
          })
        : undefined;
  }

  async createCourse(name: string): Promise<Course> {
    const course = { id: newId(), name, createdAt: Date.now() };
    await this.#db
      .insertInto('att_courses')
      .values({ id: course.id, name, created_at: course.createdAt })
      .execute();
    return course;
  }

  async listCourses(): Promise<Course[]> {
    const rows = await this.#db.selectFrom('att_courses').selectAll().orderBy('name').limit(1000).execute();
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: Number(r.created_at) }));
  }

  async openSession(input: NewRollCall): Promise<RollCall> {
    const course = await this.#db
      .selectFrom('att_courses')
      .selectAll()
      .where('id', '=', input.courseId)
      .executeTakeFirst();
    if (course === undefined)
      throw new AttendanceError('ATTENDANCE_NOT_FOUND', `no course ${input.courseId}`);
    const now = Date.now();
    const startsAt = input.startsAt ?? now;
    if (input.endsAt <= startsAt)
      throw new AttendanceError('ATTENDANCE_INVALID', 'a session must end after it starts');
    const row = {
      id: newId(),
      course_id: course.id,
      room: input.room,
      starts_at: startsAt,
      ends_at: input.endsAt,
      photo_required: input.photoRequired ? 1 : 0,
      late_after_minutes: input.lateAfterMinutes ?? null,
      closed_at: null,
      created_at: now,
    };
    await this.#db.insertInto('att_sessions').values(row).execute();
    return toRollCall(row, course.name);
  }

  /** A session by id (through the shared cache: every check-in and poll needs it). */
  async session(id: string): Promise<RollCall> {
    const found = await this.#sessions.getOrSet<RollCall | null>(id, () => this.#loadSession(id), {
      ttl: 60_000,
    });
    if (found === null) throw new AttendanceError('ATTENDANCE_NOT_FOUND', `no session ${id}`);
    return found;
  }

  async #loadSession(id: string): Promise<RollCall | null> {
    const row = await this.#db
      .selectFrom('att_sessions')
      .innerJoin('att_courses', 'att_courses.id', 'att_sessions.course_id')
      .selectAll('att_sessions')
      .select('att_courses.name as course_name')
      .where('att_sessions.id', '=', id)
      .executeTakeFirst();
    return row === undefined ? null : toRollCall(row, row.course_name);
  }

  /** Sessions open now (not closed, between start and planned end), at most 1,000. */
  async openSessions(now = Date.now()): Promise<RollCall[]> {
    const rows = await this.#db
      .selectFrom('att_sessions')
      .innerJoin('att_courses', 'att_courses.id', 'att_sessions.course_id')
      .selectAll('att_sessions')
      .select('att_courses.name as course_name')
      .where('closed_at', 'is', null)
      .where('starts_at', '<=', now)
      .where('ends_at', '>', now)
      .orderBy('att_sessions.starts_at', 'desc')
      .limit(1000)
      .execute();
    return rows.map((r) => toRollCall(r, r.course_name));
  }

  /** Recent sessions of every course, newest first (for the staff page). */
  async recentSessions(limit: number): Promise<RollCall[]> {
    const rows = await this.#db
      .selectFrom('att_sessions')
      .innerJoin('att_courses', 'att_courses.id', 'att_sessions.course_id')
      .selectAll('att_sessions')
      .select('att_courses.name as course_name')
      .orderBy('att_sessions.created_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => toRollCall(r, r.course_name));
  }

  async closeSession(id: string): Promise<RollCall> {
    await this.#db
      .updateTable('att_sessions')
      .set({ closed_at: Date.now() })
      .where('id', '=', id)
      .where('closed_at', 'is', null)
      .execute();
    await this.#sessions.delete(id);
    return this.session(id);
  }

  /** Closes sessions past their planned end (the token cleanup job); how many. */
  async closeEnded(now = Date.now()): Promise<number> {
    const ended = await this.#db
      .selectFrom('att_sessions')
      .select('id')
      .where('closed_at', 'is', null)
      .where('ends_at', '<=', now)
      .limit(1000)
      .execute();
    if (ended.length === 0) return 0;
    const ids = ended.map((r) => r.id);
    await this.#db.updateTable('att_sessions').set({ closed_at: now }).where('id', 'in', ids).execute();
    await Promise.all(ids.map((id) => this.#sessions.delete(id)));
    return ids.length;
  }

  isOpen(session: RollCall, now = Date.now()): boolean {
    return session.closedAt === null && session.startsAt <= now && now < session.endsAt;
  }

  /** Checks a scanned code: the session it names, or why it is refused. */
  async checkCode(code: string): Promise<{ check: CodeCheck; session?: RollCall }> {
    const check = this.codes.check(code);
    if (!check.ok) return { check };
    return { check, session: await this.session(check.sessionId) };
  }

  /** A ticket for a student who opened a valid code (see RotatingCodes.issueTicket). */
  ticket(sessionId: string, studentId: string): string {
    return this.codes.issueTicket(sessionId, studentId, TICKET_TTL_MS);
  }

  /** A student's check-in with a scanned code from a device (see the file comment). */
  async checkIn(input: {
    /** The scanned code, or a ticket from `ticket()` (when the code was opened with a photo to take). */
    code: string;
    studentId: string;
    deviceId: string;
    photoId?: string;
  }): Promise<CheckinResult> {
    let check = this.codes.check(input.code);
    if (!check.ok && check.reason === 'forged') {
      const ticket = this.codes.checkTicket(input.code, input.studentId);
      if (ticket.ok || ticket.reason === 'expired') check = ticket;
    }
    if (!check.ok && check.reason === 'expired' && check.sessionId !== undefined) {
      // A genuine code, retried after it expired: the answer is the check-in it made, if any.
      const made = await this.#find(check.sessionId, input.studentId);
      if (made !== undefined) return { checkin: made, duplicate: true };
    }
    if (!check.ok) {
      if (check.reason === 'expired')
        throw new AttendanceError(
          'ATTENDANCE_CODE_EXPIRED',
          'this code has expired: scan the one on the screen now',
        );
      throw new AttendanceError('ATTENDANCE_CODE_INVALID', 'this is not a valid roll-call code', {
        details: { reason: check.reason },
      });
    }
    const session = await this.session(check.sessionId);
    const now = Date.now();
    if (!this.isOpen(session, now)) {
      // A repeat answers the row already there, even after the session closed.
      const existing = await this.#find(session.id, input.studentId);
      if (existing !== undefined) return { checkin: existing, duplicate: true };
      throw new AttendanceError('ATTENDANCE_SESSION_CLOSED', 'this roll call is closed');
    }
    if (session.photoRequired && input.photoId === undefined) {
      throw new AttendanceError('ATTENDANCE_PHOTO_REQUIRED', 'this roll call needs a photo taken now');
    }
    const late =
      session.lateAfterMinutes !== null && now > session.startsAt + session.lateAfterMinutes * 60_000;
    const row = {
      session_id: session.id,
      student_id: input.studentId,
      device_id: input.deviceId,
      at: now,
      status: 'present',
      late: late ? 1 : 0,
      flagged: 0,
      source: 'code',
      reason: null,
      photo_id: input.photoId ?? null,
    };
    let deviceKnown: boolean;
    if (this.#codeCheckins !== undefined) {
      const written = await this.#codeCheckins.insert(row);
      if (written?.inserted === true) {
        deviceKnown = written.deviceKnown;
        row.flagged = written.flagged ? 1 : 0;
        if (written.ownerUnknown) row.flagged = await this.#flagLate(row);
      } else {
        const existing = written?.inserted === false ? written.existing : undefined;
        return this.#notWritten(
          session.id,
          input.studentId,
          existing === undefined ? undefined : toCheckin(existing),
        );
      }
    } else {
      const verdict = await this.#devices.bind(input.deviceId, input.studentId);
      deviceKnown = verdict.known;
      row.flagged = verdict.flagged ? 1 : 0;
      if (!(await this.#inserts.insert(row))) return this.#notWritten(session.id, input.studentId);
    }
    // A binding made just now already says "used now".
    if (deviceKnown) this.#devices.seen(input.deviceId, now);
    // Told to displays and staff pages within the feed's flush delay, without holding up the
    // answer; a lost announcement is repaired by the pages' polling.
    const checkin = toCheckin(row);
    this.#feed.add(checkin);
    return { checkin, duplicate: false };
  }

  /**
   * A check-in the database skipped for a conflict: the student's own (a retry or double tap: the
   * check-in already there, `known` when the statement read it), else the device's other student.
   */
  async #notWritten(sessionId: string, studentId: string, known?: Checkin): Promise<CheckinResult> {
    const mine = known ?? (await this.#find(sessionId, studentId));
    if (mine !== undefined) return { checkin: mine, duplicate: true };
    throw new AttendanceError('ATTENDANCE_DEVICE_USED', 'this device has already checked in another student');
  }

  /**
   * A check-in whose new device another statement bound at the same moment (./checkin-statement.ts):
   * the owner is read now, and the check-in flagged if the device is not the student's.
   */
  async #flagLate(row: AttendanceTables['att_checkins']): Promise<number> {
    const owner = await this.#devices.owner(row.device_id!);
    if (owner === null || owner === row.student_id) return 0;
    await this.#db
      .updateTable('att_checkins')
      .set({ flagged: 1 })
      .where('session_id', '=', row.session_id)
      .where('student_id', '=', row.student_id)
      .execute();
    return 1;
  }

  /** Staff: marks a student present or absent with a reason (replaces any check-in). */
  async mark(
    sessionId: string,
    studentId: string,
    status: 'present' | 'absent',
    reason: string,
  ): Promise<Checkin> {
    await this.session(sessionId);
    const row = {
      session_id: sessionId,
      student_id: studentId,
      device_id: null,
      at: Date.now(),
      status,
      late: 0,
      flagged: 0,
      source: 'manual',
      reason,
      photo_id: null,
    };
    await this.#db
      .insertInto('att_checkins')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['session_id', 'student_id']).doUpdateSet({ status, reason, source: 'manual' }),
      )
      .execute();
    this.#counts.delete(sessionId);
    const found = (await this.#find(sessionId, studentId)) ?? toCheckin(row);
    this.#feed.add(found);
    return found;
  }

  async #find(sessionId: string, studentId: string): Promise<Checkin | undefined> {
    const row = await this.#db
      .selectFrom('att_checkins')
      .selectAll()
      .where('session_id', '=', sessionId)
      .where('student_id', '=', studentId)
      .executeTakeFirst();
    return row === undefined ? undefined : toCheckin(row);
  }

  /** Students present in a session (memoised for a second per process unless `fresh`). */
  count(sessionId: string, options: { fresh?: boolean } = {}): Promise<number> {
    const now = Date.now();
    const memo = this.#counts.get(sessionId);
    if (!options.fresh && memo !== undefined && now - memo.at < COUNT_MEMO_MS) return memo.count;
    const count = this.#db
      .selectFrom('att_checkins')
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
      .where('session_id', '=', sessionId)
      .where('status', '=', 'present')
      .executeTakeFirstOrThrow()
      .then((r) => Number(r.n));
    count.catch(() => this.#counts.delete(sessionId));
    if (this.#counts.size >= COUNT_MEMO_ENTRIES) this.#counts.clear();
    this.#counts.set(sessionId, { at: now, count });
    return count;
  }

  /** Check-ins in (time, student) order, `limit` at a time, after an opaque cursor. */
  async checkins(
    sessionId: string,
    limit: number,
    cursor?: string,
  ): Promise<{ items: Checkin[]; next: string | null }> {
    await this.session(sessionId);
    let query = this.#db.selectFrom('att_checkins').selectAll().where('session_id', '=', sessionId);
    if (cursor !== undefined) {
      const after = decodeCursor(cursor);
      query = query.where((eb) =>
        eb.or([eb('at', '>', after.at), eb.and([eb('at', '=', after.at), eb('student_id', '>', after.id)])]),
      );
    }
    const rows = await query
      .orderBy('at')
      .orderBy('student_id')
      .limit(limit + 1)
      .execute();
    const items = rows.slice(0, limit).map(toCheckin);
    const last = items.at(-1);
    const next =
      rows.length > limit && last !== undefined ? encodeCursor({ at: last.at, id: last.studentId }) : null;
    return { items, next };
  }

  /** What a display shows; the code is computed here, so any instance can answer. */
  async display(sessionId: string, now = Date.now()): Promise<DisplayStatus> {
    const session = await this.session(sessionId);
    const window = this.codes.windowAt(now);
    return {
      sessionId,
      name: session.courseName,
      room: session.room,
      code: this.codes.issue(sessionId, window),
      window,
      codeExpiresAt: this.codes.windowEnd(window),
      periodMs: this.codes.periodMs,
      count: await this.count(sessionId),
      startsAt: session.startsAt,
      endsAt: session.endsAt,
      open: this.isOpen(session, now),
    };
  }

  /** Announces the current window of every open session (the rotation job, once per window). */
  async announceRotation(now = Date.now()): Promise<number> {
    const open = await this.openSessions(now);
    const window = this.codes.windowAt(now);
    await Promise.all(
      open.map((s) =>
        this.#announcer().announce({
          type: 'rotation',
          sessionId: s.id,
          window,
          code: this.codes.issue(s.id, window),
          expiresAt: this.codes.windowEnd(window),
        }),
      ),
    );
    return open.length;
  }
}

type SessionRow = AttendanceTables['att_sessions'];

function toRollCall(row: SessionRow, courseName: string): RollCall {
  return {
    id: row.id,
    courseId: row.course_id,
    courseName,
    room: row.room,
    startsAt: Number(row.starts_at),
    endsAt: Number(row.ends_at),
    photoRequired: Number(row.photo_required) === 1,
    lateAfterMinutes: row.late_after_minutes === null ? null : Number(row.late_after_minutes),
    closedAt: row.closed_at === null ? null : Number(row.closed_at),
  };
}

function toCheckin(row: AttendanceTables['att_checkins']): Checkin {
  return {
    sessionId: row.session_id,
    studentId: row.student_id,
    at: Number(row.at),
    status: row.status === 'absent' ? 'absent' : 'present',
    late: Number(row.late) === 1,
    flagged: Number(row.flagged) === 1,
    source: row.source === 'manual' ? 'manual' : 'code',
    reason: row.reason,
    photoId: row.photo_id,
  };
}
