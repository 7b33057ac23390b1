/**
 * Roll calls across three instances sharing one Redis and one database, on SQLite and PostgreSQL:
 * codes issued by one instance verify on the others; 1,600 students check in across two
 * instances with double taps and retries and leave exactly 1,600 rows; device binding, late
 * marks, expired and forged codes, paging, CSV, photos and bad input.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttendanceTables } from '../../../src/apps/attendance/db/tables.js';
import { TEST_REDIS_URL } from '../../support/redis.js';
import { type EngineTarget, postgresTarget, sqliteTarget, TEST_DATABASE_URL } from '../db/fixtures.js';
import { errorCode, type Running, startServer } from '../server/harness.js';
import {
  ADMIN_TOKEN,
  attendanceOf,
  baseEnv,
  type Call,
  call,
  cookieFor,
  importStudents,
  openRollCall,
} from './support.js';

const STUDENTS = Array.from({ length: 1_600 }, (_, i) => `s${String(i).padStart(5, '0')}`);
/** Students the 1,600-student case leaves alone (it binds a device to each of its students). */
const OTHERS = Array.from({ length: 100 }, (_, i) => `o${String(i).padStart(5, '0')}`);
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

function device(): string {
  return `plexus_device=${randomBytes(16).toString('base64url')}`;
}

async function pool<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

describe.each([
  ['SQLite', sqliteTarget],
  ['PostgreSQL', postgresTarget],
] as const)('attendance roll calls on %s', (engine, makeTarget) => {
  let target: EngineTarget;
  let a: Running;
  let b: Running;
  let c: Running;
  const cookies = new Map<string, string>();

  beforeAll(async () => {
    target = makeTarget();
    // Three servers and 128 clients share this process's event loop: a stall of the loop is not
    // Redis being down, so the command timeout is wider than the default 250 ms.
    const env = baseEnv(target.env, { REDIS_URL: TEST_REDIS_URL, REDIS_COMMAND_TIMEOUT_MS: '3000' });
    a = await startServer({ env });
    b = await startServer({ env });
    c = await startServer({ env });
    await importStudents(a, [...STUDENTS, ...OTHERS]);
    for (const id of [...STUDENTS, ...OTHERS]) cookies.set(id, await cookieFor(a, id, ['student']));
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), c?.stop()]);
    await target?.drop();
  });

  const checkIn = (on: Running, student: string, code: string, deviceCookie: string, photoId?: string) =>
    call(on.url, 'POST', '/checkins', {
      cookie: `${cookies.get(student)}; ${deviceCookie}`,
      body: photoId === undefined ? { code } : { code, photoId },
    });

  async function displayCode(on: Running, sessionId: string): Promise<string> {
    const shown = await call(on.url, 'GET', `/sessions/${sessionId}/display`, { token: ADMIN_TOKEN });
    expect(shown.status).toBe(200);
    return shown.body.code as string;
  }

  it('a code shown by one instance is accepted by the other two', async () => {
    const sessionId = await openRollCall(a.url);
    const code = await displayCode(a, sessionId);
    for (const other of [b, c]) {
      const seen = await call(other.url, 'GET', `/codes/${code}`, { cookie: cookies.get(STUDENTS[0]!) });
      expect(seen.status).toBe(200);
      expect(seen.body).toMatchObject({ valid: true, session: { name: 'Databases 101', room: 'B-204' } });
    }
    const done = await checkIn(c, STUDENTS[0]!, code, device());
    expect(done.status, done.text).toBe(200);
    expect(done.body.duplicate).toBe(false);
  });

  it('1,600 students check in across two instances, with double taps and retries: exactly 1,600 rows', async () => {
    const sessionId = await openRollCall(a.url);
    const devices = new Map(STUDENTS.map((id) => [id, device()]));
    const answers: Call[] = [];
    // Each student scans the code on the screen now: a code of the current window, which verifies
    // for at least one more full window (5 s) from the moment the student starts. When the window
    // changes, one fetch of the new code is shared by every student waiting for it.
    const codes = attendanceOf(a).rollCalls.codes;
    const fetchShown = async (on: Running) => {
      const code = await displayCode(on, sessionId);
      const check = codes.check(code);
      expect(check.ok, code).toBe(true);
      return { code, window: check.ok ? check.window : Number.NaN };
    };
    let shown = fetchShown(a);
    const scan = async (): Promise<string> => {
      const seen = shown;
      const { code, window } = await seen;
      if (window === codes.windowAt()) return code;
      if (shown === seen) shown = fetchShown(b);
      return (await shown).code;
    };
    await pool(STUDENTS, 64, async (student) => {
      const code = await scan();
      const cookie = devices.get(student)!;
      // A double tap reaching both instances at once, then a retry of the same request.
      const [first, second] = await Promise.all([
        checkIn(a, student, code, cookie),
        checkIn(b, student, code, cookie),
      ]);
      const retry = await checkIn(student.endsWith('7') ? b : a, student, code, cookie);
      answers.push(first, second, retry);
    });
    const failures = answers.filter((r) => r.status !== 200).map((r) => r.text);
    expect(failures).toEqual([]);
    expect(answers.filter((r) => r.body.duplicate === false)).toHaveLength(STUDENTS.length);
    const rows = await attendanceOf(c).rollCalls.checkins(sessionId, 500);
    let total = rows.items.length;
    const seen = new Set(rows.items.map((r) => r.studentId));
    let next = rows.next;
    while (next !== null) {
      const page = await call(c.url, 'GET', `/sessions/${sessionId}/checkins?limit=500&cursor=${next}`, {
        token: ADMIN_TOKEN,
      });
      expect(page.status).toBe(200);
      const items = page.body.items as { studentId: string }[];
      total += items.length;
      for (const item of items) seen.add(item.studentId);
      next = page.body.next as string | null;
    }
    expect(total).toBe(STUDENTS.length);
    expect(seen.size).toBe(STUDENTS.length);
    const status = await call(b.url, 'GET', `/sessions/${sessionId}`, { token: ADMIN_TOKEN });
    expect(status.body.count).toBe(STUDENTS.length);
  }, 120_000);

  it('a device that checked in one student is refused for another; a second device is flagged', async () => {
    const sessionId = await openRollCall(a.url);
    const code = await displayCode(a, sessionId);
    const phone = device();
    const [x, y, z] = [OTHERS[0]!, OTHERS[1]!, OTHERS[2]!];
    expect((await checkIn(a, x, code, phone)).status).toBe(200);
    const refused = await checkIn(b, y, code, phone);
    expect(refused.status).toBe(409);
    expect(errorCode(refused)).toBe('ATTENDANCE_DEVICE_USED');
    // The same student from another phone: answered with the check-in already there.
    const again = await checkIn(b, x, code, device());
    expect(again.body).toMatchObject({ duplicate: true, checkin: { studentId: x } });
    // In another session, the borrowed phone's check-in is flagged for staff.
    const other = await openRollCall(a.url);
    const borrowed = await checkIn(c, y, await displayCode(c, other), phone);
    expect(borrowed.status).toBe(200);
    expect(borrowed.body).toMatchObject({ checkin: { studentId: y, flagged: true } });
    const own = await checkIn(c, z, await displayCode(c, other), device());
    expect(own.body).toMatchObject({ checkin: { flagged: false } });
    // A student who already has a phone, checking in from a new one: flagged too.
    const second = await checkIn(c, x, await displayCode(c, other), device());
    expect(second.body).toMatchObject({ duplicate: false, checkin: { studentId: x, flagged: true } });
  });

  // PostgreSQL's one-statement check-in cannot see a device bound by a statement that commits
  // after it began (src/apps/attendance/checkin-statement.ts): here such a binding is held open in
  // a transaction while the check-in runs (it waits on the device's key), then committed.
  it.runIf(engine === 'PostgreSQL')(
    'a new device bound by a concurrent transaction to another student: the check-in is flagged',
    async () => {
      const sessionId = await openRollCall(a.url);
      const code = await displayCode(a, sessionId);
      const deviceId = randomBytes(16).toString('base64url');
      const [owner, borrower] = [OTHERS[10]!, OTHERS[11]!];
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      // Another connection watches: pg_stat_activity is read once per transaction.
      const watcher = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await Promise.all([client.connect(), watcher.connect()]);
      try {
        await client.query(`set search_path to "${target.env.DATABASE_SCHEMA}"`);
        await client.query('begin');
        await client.query(
          'insert into att_devices (device_id, student_id, created_at, last_seen_at) values ($1, $2, $3, $3)',
          [deviceId, owner, Date.now()],
        );
        const pending = checkIn(a, borrower, code, `plexus_device=${deviceId}`);
        // The check-in's statement is now waiting on the uncommitted binding of the same device.
        await expect
          .poll(
            async () =>
              (
                await watcher.query(
                  "select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like '%insert into att_devices%'",
                )
              ).rows[0].n,
            { timeout: 10_000 },
          )
          .toBeGreaterThan(0);
        await client.query('commit');
        const answer = await pending;
        expect(answer.status, answer.text).toBe(200);
        expect(answer.body).toMatchObject({
          duplicate: false,
          checkin: { studentId: borrower, flagged: true },
        });
        const stored = await attendanceOf(b).rollCalls.checkins(sessionId, 10);
        expect(stored.items).toEqual([expect.objectContaining({ studentId: borrower, flagged: true })]);
      } finally {
        await Promise.all([client.end(), watcher.end()]);
      }
    },
  );

  it('keeps the binding of a device in use past the binding TTL, and deletes an unused one', async () => {
    const [user, idle] = [OTHERS[12]!, OTHERS[13]!];
    const [used, unused] = [randomBytes(16).toString('base64url'), randomBytes(16).toString('base64url')];
    const first = await openRollCall(a.url);
    const code = await displayCode(a, first);
    expect((await checkIn(a, user, code, `plexus_device=${used}`)).status).toBe(200);
    expect((await checkIn(a, idle, code, `plexus_device=${unused}`)).status).toBe(200);
    // Both bindings as if made a year ago (after a's own record of this use has landed).
    await attendanceOf(a).devices.recordSeen();
    const db = a.plexus.db.kysely.withTables<AttendanceTables>() as unknown as Kysely<AttendanceTables>;
    const yearAgo = Date.now() - 365 * 86_400_000;
    await db
      .updateTable('att_devices')
      .set({ created_at: yearAgo, last_seen_at: yearAgo })
      .where('device_id', 'in', [used, unused])
      .execute();
    // One of them checks in again today (on b, which has not recorded it yet today).
    const second = await openRollCall(a.url);
    expect((await checkIn(b, user, await displayCode(b, second), `plexus_device=${used}`)).status).toBe(200);
    await attendanceOf(b).devices.recordSeen();
    expect(await attendanceOf(a).devices.purge(180 * 86_400_000)).toBe(1);
    const left = await db
      .selectFrom('att_devices')
      .select('device_id')
      .where('device_id', 'in', [used, unused])
      .execute();
    expect(left.map((r) => r.device_id)).toEqual([used]);
  });

  it('refuses expired, forged and malformed codes with a reason, and accepts the previous window', async () => {
    const sessionId = await openRollCall(a.url);
    const codes = attendanceOf(a).rollCalls.codes;
    const window = codes.windowAt();
    const previous = codes.issue(sessionId, window - 1);
    const expired = codes.issue(sessionId, window - 3);
    const forged = `${previous.slice(0, -2)}${previous.endsWith('AA') ? 'BB' : 'AA'}`;
    const student = STUDENTS[20]!;
    for (const [code, reason] of [
      [expired, 'expired'],
      [forged, 'forged'],
      ['not-a-code', 'malformed'],
    ] as const) {
      const seen = await call(b.url, 'GET', `/codes/${code}`);
      expect(seen.body).toMatchObject({ valid: false, reason });
    }
    const late = await checkIn(b, student, expired, device());
    expect([late.status, errorCode(late)]).toEqual([410, 'ATTENDANCE_CODE_EXPIRED']);
    const bad = await checkIn(b, student, forged, device());
    expect([bad.status, errorCode(bad)]).toEqual([400, 'ATTENDANCE_CODE_INVALID']);
    const phone = device();
    const ok = await checkIn(c, student, previous, phone);
    expect(ok.status, ok.text).toBe(200);
    // A retry that arrives after its code expired answers the check-in it made (idempotent).
    const retried = await checkIn(a, student, expired, phone);
    expect(retried.status, retried.text).toBe(200);
    expect(retried.body).toMatchObject({ duplicate: true, checkin: ok.body.checkin });
  });

  it('marks late check-ins, and staff can mark a student with a reason', async () => {
    const sessionId = await openRollCall(a.url, { startsAt: Date.now() - 20 * 60_000, lateAfterMinutes: 10 });
    const late = await checkIn(b, STUDENTS[30]!, await displayCode(b, sessionId), device());
    expect(late.body).toMatchObject({ checkin: { late: true, status: 'present', source: 'code' } });
    const marked = await call(a.url, 'PUT', `/sessions/${sessionId}/checkins/${STUDENTS[31]}`, {
      token: ADMIN_TOKEN,
      body: { status: 'absent', reason: 'sick note' },
    });
    expect(marked.body).toMatchObject({ status: 'absent', source: 'manual', reason: 'sick note' });
    const csv = await call(c.url, 'GET', `/sessions/${sessionId}/checkins.csv`, { token: ADMIN_TOKEN });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const lines = csv.text.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(
      lines.some(
        (line) => line.startsWith(`${STUDENTS[31]},`) && line.includes('absent,false,false,manual,sick note'),
      ),
    ).toBe(true);
  });

  it('a session that needs a photo takes one checked by content, shown only to staff', async () => {
    const sessionId = await openRollCall(a.url, { photoRequired: true });
    const student = STUDENTS[40]!;
    const code = await displayCode(a, sessionId);
    const noPhoto = await checkIn(a, student, code, device());
    expect([noPhoto.status, errorCode(noPhoto)]).toEqual([400, 'ATTENDANCE_PHOTO_REQUIRED']);
    const cookie = cookies.get(student)!;
    const text = await call(a.url, 'POST', '/photos', {
      cookie,
      body: Buffer.from('GIF89a not really an image'),
      headers: { 'content-type': 'image/png' },
    });
    expect([text.status, errorCode(text)]).toEqual([400, 'ATTENDANCE_PHOTO_INVALID']);
    const huge = Buffer.concat([PNG, Buffer.alloc(2_100_000)]);
    const tooBig = await call(a.url, 'POST', '/photos', {
      cookie,
      body: huge,
      headers: { 'content-type': 'image/png' },
    });
    expect(tooBig.status).toBe(413);
    const stored = await call(a.url, 'POST', '/photos', {
      cookie,
      body: PNG,
      headers: { 'content-type': 'image/png' },
    });
    expect(stored.status, stored.text).toBe(200);
    const photoId = stored.body.id as string;
    const done = await checkIn(b, student, code, device(), photoId);
    expect(done.body).toMatchObject({ checkin: { photoId } });
    const asStudent = await call(c.url, 'GET', `/photos/${photoId}`, { cookie });
    expect(asStudent.status).toBe(403);
    const asStaff = await fetch(`${c.url}/api/1/attendance/photos/${photoId}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(asStaff.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await asStaff.arrayBuffer()).equals(PNG)).toBe(true);
  });

  it('answers bad input and wrong roles with 4xx JSON and stable codes, storing nothing', async () => {
    const sessionId = await openRollCall(a.url);
    const code = await displayCode(a, sessionId);
    const volunteer = await cookieFor(a, 'vol1', ['volunteer']);
    const cases: [Promise<Call>, number, string][] = [
      [call(a.url, 'POST', '/checkins', { body: { code } }), 401, 'AUTH_REQUIRED'],
      [call(a.url, 'POST', '/checkins', { cookie: volunteer, body: { code } }), 403, 'ATTENDANCE_FORBIDDEN'],
      [
        call(a.url, 'POST', '/checkins', {
          cookie: cookies.get(STUDENTS[50]!),
          body: { code: 'x'.repeat(500) },
        }),
        400,
        'VALIDATION_FAILED',
      ],
      [
        call(a.url, 'POST', '/checkins', { cookie: cookies.get(STUDENTS[50]!), body: { code, extra: 1 } }),
        400,
        'VALIDATION_FAILED',
      ],
      [
        call(a.url, 'POST', '/sessions', {
          cookie: volunteer,
          body: { courseId: 'abcdefgh', room: 'x', endsAt: 1 },
        }),
        403,
        'ATTENDANCE_FORBIDDEN',
      ],
      [
        call(a.url, 'POST', '/sessions', {
          token: ADMIN_TOKEN,
          body: { courseId: 'nosuchcourse', room: 'x', endsAt: Date.now() + 60_000 },
        }),
        404,
        'ATTENDANCE_NOT_FOUND',
      ],
      [
        call(a.url, 'GET', '/sessions/zzzzzzzzzz/display', { token: ADMIN_TOKEN }),
        404,
        'ATTENDANCE_NOT_FOUND',
      ],
      [
        call(a.url, 'GET', `/sessions/${sessionId}/checkins?cursor=bm90LWEtY3Vyc29y`, { token: ADMIN_TOKEN }),
        400,
        'ATTENDANCE_INVALID',
      ],
      [
        call(a.url, 'GET', `/sessions/${sessionId}/checkins?limit=100000`, { token: ADMIN_TOKEN }),
        400,
        'VALIDATION_FAILED',
      ],
      [call(a.url, 'GET', '/courses', { token: 'wrong' }), 401, 'UNAUTHORIZED'],
    ];
    for (const [pending, status, codeName] of cases) {
      const answer = await pending;
      expect([answer.status, errorCode(answer)], answer.text).toEqual([status, codeName]);
    }
    const rows = await attendanceOf(a).rollCalls.checkins(sessionId, 10);
    expect(rows.items).toEqual([]);
  });

  it('answers the display status with an ETag and 304 while nothing changed', async () => {
    const sessionId = await openRollCall(a.url);
    const first = await call(a.url, 'GET', `/sessions/${sessionId}/display`, { token: ADMIN_TOKEN });
    const etag = first.headers.get('etag')!;
    const again = await call(b.url, 'GET', `/sessions/${sessionId}/display`, {
      token: ADMIN_TOKEN,
      headers: { 'if-none-match': etag },
    });
    // Same window on another instance: 304, unless the window turned in between.
    if ((first.body.codeExpiresAt as number) > Date.now() + 200) expect(again.status).toBe(304);
    expect(first.body.url).toBe(`${a.url}/attendance/c/${first.body.code}`);
  });
});
