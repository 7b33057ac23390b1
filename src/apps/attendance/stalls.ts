/**
 * Stall check-in/out (seed 001): a volunteer scans a student's static QR code (the QR app's
 * token) at a stall.
 *
 * Each scan carries a client-generated id. The scan, the student's presence and the visit change
 * in one transaction that first inserts the scan id (primary key): a retried scan finds it and
 * answers the stored result, counted once. The student's presence row (one per student) is locked
 * (`SELECT … FOR UPDATE` on PostgreSQL; SQLite runs one write transaction at a time), so two
 * stalls scanning the same student at once are serialised: one state results, and a student is
 * never in two stalls (checking in elsewhere closes the previous visit).
 */
import type { Kysely, Transaction } from 'kysely';
import type { DbEngine } from '../../config/db.js';
import type { QRService } from '../qr/service.js';
import type { AttendanceTables } from './db/tables.js';
import { AttendanceError } from './errors.js';

export type ScanAction = 'in' | 'out' | 'toggle';

export interface ScanResult {
  scanId: string;
  stallId: string;
  student: { id: string; name: string };
  /** The student's state at this stall after the scan. */
  state: 'in' | 'out';
  /** The stall the student was checked out of by checking in here, if any. */
  movedFrom: string | null;
  /** True when this scan id was seen before: the stored result, nothing changed. */
  duplicate: boolean;
}

export interface StallStats {
  stallId: string;
  name: string;
  occupancy: number;
  visits: number;
}

export class Stalls {
  readonly #db: Kysely<AttendanceTables>;
  readonly #engine: DbEngine;
  readonly #qr: () => QRService;

  constructor(db: Kysely<AttendanceTables>, engine: DbEngine, qr: () => QRService) {
    this.#db = db;
    this.#engine = engine;
    this.#qr = qr;
  }

  async scan(input: {
    scanId: string;
    stallId: string;
    token: string;
    action: ScanAction;
  }): Promise<ScanResult> {
    const stall = await this.#qr().repository.find('stall', input.stallId);
    if (stall === undefined) throw new AttendanceError('ATTENDANCE_NOT_FOUND', `no stall ${input.stallId}`);
    const verified = await this.#qr().verifyStudentQRToken(input.token);
    if (!verified.valid) {
      throw new AttendanceError(
        'ATTENDANCE_STUDENT_CODE_INVALID',
        `not a valid student code (${verified.error})`,
        {
          details: { reason: verified.error },
        },
      );
    }
    const student = { id: verified.id, name: verified.name };
    return this.#db.transaction().execute((trx) => this.#apply(trx, input, student));
  }

  async #apply(
    trx: Transaction<AttendanceTables>,
    input: { scanId: string; stallId: string; action: ScanAction },
    student: { id: string; name: string },
  ): Promise<ScanResult> {
    const now = Date.now();
    const first = await trx
      .insertInto('att_stall_scans')
      .values({
        scan_id: input.scanId,
        stall_id: input.stallId,
        student_id: student.id,
        at: now,
        result: null,
      })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    if (Number(first.numInsertedOrUpdatedRows ?? 0) === 0) {
      const stored = await trx
        .selectFrom('att_stall_scans')
        .select('result')
        .where('scan_id', '=', input.scanId)
        .executeTakeFirst();
      if (stored?.result == null) throw new AttendanceError('ATTENDANCE_INVALID', 'scan id already used');
      return { ...(JSON.parse(stored.result) as ScanResult), duplicate: true };
    }
    await trx
      .insertInto('att_stall_presence')
      .values({ student_id: student.id, stall_id: null, since: now })
      .onConflict((oc) => oc.doNothing())
      .execute();
    let locked = trx.selectFrom('att_stall_presence').select('stall_id').where('student_id', '=', student.id);
    if (this.#engine === 'postgres') locked = locked.forUpdate();
    const presence = await locked.executeTakeFirstOrThrow();
    const here = presence.stall_id === input.stallId;
    const checkIn = input.action === 'in' || (input.action === 'toggle' && !here);
    let movedFrom: string | null = null;
    if (checkIn && !here) {
      if (presence.stall_id !== null) {
        movedFrom = presence.stall_id;
        await this.#closeVisit(trx, student.id, presence.stall_id, now);
      }
      await trx
        .insertInto('att_stall_visits')
        .values({
          id: input.scanId,
          stall_id: input.stallId,
          student_id: student.id,
          in_at: now,
          out_at: null,
        })
        .execute();
      await trx
        .updateTable('att_stall_presence')
        .set({ stall_id: input.stallId, since: now })
        .where('student_id', '=', student.id)
        .execute();
    } else if (!checkIn && here) {
      await this.#closeVisit(trx, student.id, input.stallId, now);
      await trx
        .updateTable('att_stall_presence')
        .set({ stall_id: null, since: now })
        .where('student_id', '=', student.id)
        .execute();
    }
    const result: ScanResult = {
      scanId: input.scanId,
      stallId: input.stallId,
      student,
      state: checkIn ? 'in' : 'out',
      movedFrom,
      duplicate: false,
    };
    await trx
      .updateTable('att_stall_scans')
      .set({ result: JSON.stringify(result) })
      .where('scan_id', '=', input.scanId)
      .execute();
    return result;
  }

  async #closeVisit(
    trx: Transaction<AttendanceTables>,
    studentId: string,
    stallId: string,
    now: number,
  ): Promise<void> {
    await trx
      .updateTable('att_stall_visits')
      .set({ out_at: now })
      .where('student_id', '=', studentId)
      .where('stall_id', '=', stallId)
      .where('out_at', 'is', null)
      .execute();
  }

  /** Forgets scan ids older than `olderThanMs` (their visits stay); how many. */
  async forgetScans(olderThanMs: number): Promise<number> {
    const result = await this.#db
      .deleteFrom('att_stall_scans')
      .where('at', '<', Date.now() - olderThanMs)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Where a student is now (null: in no stall). */
  async presence(studentId: string): Promise<string | null> {
    const row = await this.#db
      .selectFrom('att_stall_presence')
      .select('stall_id')
      .where('student_id', '=', studentId)
      .executeTakeFirst();
    return row?.stall_id ?? null;
  }

  /** Occupancy and visit count of a stall. */
  async stats(stallId: string): Promise<StallStats> {
    const stall = await this.#qr().repository.find('stall', stallId);
    if (stall === undefined) throw new AttendanceError('ATTENDANCE_NOT_FOUND', `no stall ${stallId}`);
    const [occupancy, visits] = await Promise.all([
      this.#db
        .selectFrom('att_stall_presence')
        .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
        .where('stall_id', '=', stallId)
        .executeTakeFirstOrThrow(),
      this.#db
        .selectFrom('att_stall_visits')
        .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
        .where('stall_id', '=', stallId)
        .executeTakeFirstOrThrow(),
    ]);
    return { stallId, name: stall.name, occupancy: Number(occupancy.n), visits: Number(visits.n) };
  }
}
