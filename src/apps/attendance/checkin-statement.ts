/**
 * A batch of code check-ins on PostgreSQL as one statement (one round trip, one commit): the device
 * bindings and the check-ins are written together, and the device verdict is computed inside it.
 *
 * For every input row (session, student, device): the device's owner as the statement's snapshot
 * sees it (`known`), else the binding this statement made (`bound`, `INSERT … ON CONFLICT DO
 * NOTHING`: the first row of the batch names a new device's owner); whether the student already has
 * another device (`others`); then the check-in (`ON CONFLICT DO NOTHING` on both unique
 * constraints: one row per session and student, one per session and device) with `flagged` set as
 * Devices.bind would set it. The answer says, per row, whether it was written and with which verdict,
 * or the check-in the snapshot already held for that session and student (a retry or double tap).
 *
 * One case the snapshot cannot see: a new device bound by a concurrent statement that committed
 * after this one began (the same new device used on two instances at once). Its owner is unknown
 * here (`ownerUnknown`); the caller reads it afterwards and flags the check-in if it is not the
 * student's (RollCalls.checkIn).
 */
import { type Kysely, sql } from 'kysely';
import type { AttendanceTables } from './db/tables.js';

type CheckinRow = AttendanceTables['att_checkins'];

export type CheckinWrite =
  | { inserted: true; flagged: boolean; ownerUnknown: boolean; deviceKnown: boolean }
  | { inserted: false; existing: CheckinRow | undefined };

interface Answer {
  ord: number;
  written: boolean;
  flagged: number | null;
  owner_unknown: boolean;
  device_known: boolean;
  e_student_id: string | null;
  e_device_id: string | null;
  e_at: string | number | null;
  e_status: string | null;
  e_late: number | null;
  e_flagged: number | null;
  e_source: string | null;
  e_reason: string | null;
  e_photo_id: string | null;
}

export function checkinKey(row: { session_id: string; student_id: string }): string {
  return `${row.session_id} ${row.student_id}`;
}

export async function writeCheckinsPostgres(
  db: Kysely<AttendanceTables>,
  rows: CheckinRow[],
): Promise<Map<string, CheckinWrite>> {
  const values = sql.join(
    rows.map(
      (r, i) =>
        sql`(${i}::int, ${r.session_id}::text, ${r.student_id}::text, ${r.device_id}::text, ${r.at}::bigint, ${r.late}::int, ${r.photo_id}::text)`,
    ),
  );
  const { rows: answers } = await sql<Answer>`
    with input (ord, session_id, student_id, device_id, at, late, photo_id) as (values ${values}),
    known as (
      select d.device_id, d.student_id from att_devices d where d.device_id in (select device_id from input)
    ),
    others as (
      select distinct i.ord from input i
      join att_devices d on d.student_id = i.student_id and d.device_id <> i.device_id
    ),
    bound as (
      insert into att_devices (device_id, student_id, created_at, last_seen_at)
      select distinct on (device_id) device_id, student_id, at, at from input order by device_id, ord
      on conflict do nothing
      returning device_id, student_id
    ),
    verdict as (
      select i.*,
        case
          when k.student_id is not null then k.student_id <> i.student_id
          when b.student_id is not null then b.student_id <> i.student_id or o.ord is not null
          else false
        end as flagged,
        k.student_id is null and b.student_id is null as owner_unknown,
        k.student_id is not null as device_known
      from input i
      left join known k on k.device_id = i.device_id
      left join bound b on b.device_id = i.device_id
      left join others o on o.ord = i.ord
    ),
    written as (
      insert into att_checkins (session_id, student_id, device_id, at, status, late, flagged, source, reason, photo_id)
      select session_id, student_id, device_id, at, 'present', late, case when flagged then 1 else 0 end, 'code', null, photo_id
      from verdict
      on conflict do nothing
      returning session_id, student_id, flagged
    )
    select v.ord, w.student_id is not null as written, w.flagged, v.owner_unknown, v.device_known,
      e.student_id as e_student_id, e.device_id as e_device_id, e.at as e_at, e.status as e_status,
      e.late as e_late, e.flagged as e_flagged, e.source as e_source, e.reason as e_reason,
      e.photo_id as e_photo_id
    from verdict v
    left join written w on w.session_id = v.session_id and w.student_id = v.student_id
    left join att_checkins e on e.session_id = v.session_id and e.student_id = v.student_id
  `.execute(db);
  const out = new Map<string, CheckinWrite>();
  for (const a of answers) {
    const row = rows[a.ord]!;
    if (a.written) {
      out.set(checkinKey(row), {
        inserted: true,
        flagged: a.flagged === 1,
        ownerUnknown: a.owner_unknown,
        deviceKnown: a.device_known,
      });
      continue;
    }
    out.set(checkinKey(row), {
      inserted: false,
      existing:
        a.e_student_id === null
          ? undefined
          : {
              session_id: row.session_id,
              student_id: a.e_student_id,
              device_id: a.e_device_id,
              at: Number(a.e_at),
              status: a.e_status!,
              late: Number(a.e_late),
              flagged: Number(a.e_flagged),
              source: a.e_source!,
              reason: a.e_reason,
              photo_id: a.e_photo_id,
            },
    });
  }
  return out;
}
