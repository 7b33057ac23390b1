/**
 * Stall check-in/out (seed 001) on two instances sharing one Redis and one database, on SQLite and
 * PostgreSQL: a retried scan is counted once; checking in at another stall checks out of the
 * previous one; concurrent scans of one student at two stalls leave one consistent state;
 * volunteers only; bad codes refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL } from '../../support/redis.js';
import { type EngineTarget, postgresTarget, sqliteTarget } from '../db/fixtures.js';
import { errorCode, qrOf, type Running, startServer } from '../server/harness.js';
import { attendanceOf, baseEnv, call, cookieFor, importStalls, importStudents } from './support.js';

const STUDENTS = Array.from({ length: 40 }, (_, i) => `st${i}`);
const STALLS = ['A1', 'B2', 'C3'];

describe.each([
  ['SQLite', sqliteTarget],
  ['PostgreSQL', postgresTarget],
] as const)('stall scans on %s', (_engine, makeTarget) => {
  let target: EngineTarget;
  let a: Running;
  let b: Running;
  let volunteer: string;
  let n = 0;

  beforeAll(async () => {
    target = makeTarget();
    const env = baseEnv(target.env, { REDIS_URL: TEST_REDIS_URL, REDIS_COMMAND_TIMEOUT_MS: '3000' });
    a = await startServer({ env });
    b = await startServer({ env });
    await importStudents(a, STUDENTS);
    await importStalls(a, STALLS);
    volunteer = await cookieFor(a, 'volunteer1', ['volunteer']);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await target?.drop();
  });

  const token = (student: string) => qrOf(a).tokens.issue({ type: 'student', id: student, version: 1 });
  const scan = (
    on: Running,
    stall: string,
    student: string,
    scanId = `scan-${process.pid}-${n++}`,
    action?: string,
  ) =>
    call(on.url, 'POST', `/stalls/${stall}/scans`, {
      cookie: volunteer,
      body: { scanId, token: token(student), ...(action === undefined ? {} : { action }) },
    });

  it('counts a retried scan once, on either instance', async () => {
    const first = await scan(a, 'A1', 'st0', 'retry-me-0001');
    expect(first.body).toMatchObject({
      state: 'in',
      duplicate: false,
      student: { id: 'st0', name: 'Student st0' },
    });
    const [again, elsewhere] = await Promise.all([
      scan(a, 'A1', 'st0', 'retry-me-0001'),
      scan(b, 'A1', 'st0', 'retry-me-0001'),
    ]);
    for (const r of [again, elsewhere]) expect(r.body).toMatchObject({ state: 'in', duplicate: true });
    expect(await attendanceOf(b).stalls.stats('A1')).toMatchObject({ occupancy: 1, visits: 1 });
    const out = await scan(b, 'A1', 'st0');
    expect(out.body).toMatchObject({ state: 'out', duplicate: false });
    expect(await attendanceOf(a).stalls.stats('A1')).toMatchObject({ occupancy: 0, visits: 1 });
  });

  it('checks a student out of the previous stall when they check in elsewhere', async () => {
    expect((await scan(a, 'A1', 'st1')).body).toMatchObject({ state: 'in', movedFrom: null });
    const moved = await scan(b, 'B2', 'st1');
    expect(moved.body).toMatchObject({ state: 'in', movedFrom: 'A1' });
    expect(await attendanceOf(a).stalls.presence('st1')).toBe('B2');
    // An explicit check-out at a stall the student is not in changes nothing.
    expect((await scan(a, 'A1', 'st1', undefined, 'out')).body).toMatchObject({ state: 'out' });
    expect(await attendanceOf(a).stalls.presence('st1')).toBe('B2');
  });

  it('leaves one consistent state when two stalls scan the same students at once', async () => {
    const students = STUDENTS.slice(10, 40);
    const answers = await Promise.all(
      students.flatMap((s) => [scan(a, 'B2', s, undefined, 'in'), scan(b, 'C3', s, undefined, 'in')]),
    );
    expect(answers.map((r) => r.status)).toEqual(answers.map(() => 200));
    const service = attendanceOf(a);
    let inB = 0;
    let inC = 0;
    for (const s of students) {
      const where = await service.stalls.presence(s);
      expect(['B2', 'C3']).toContain(where);
      if (where === 'B2') inB++;
      else inC++;
    }
    const [statsB, statsC] = [await service.stalls.stats('B2'), await service.stalls.stats('C3')];
    // st1 is in B2 from the previous case.
    expect(statsB.occupancy).toBe(inB + 1);
    expect(statsC.occupancy).toBe(inC);
    // Each student visited both stalls once; exactly one of the two visits is still open.
    expect(statsC.visits).toBe(students.length);
    expect(statsB.visits).toBe(students.length + 1);
  });

  it('refuses bad codes, unknown stalls and accounts that are not volunteers', async () => {
    const forged = `${token('st2').slice(0, -3)}AAA`;
    const cases = [
      [
        call(a.url, 'POST', '/stalls/A1/scans', {
          cookie: volunteer,
          body: { scanId: 'bad-code-001', token: forged },
        }),
        400,
        'ATTENDANCE_STUDENT_CODE_INVALID',
      ],
      [
        call(a.url, 'POST', '/stalls/ZZ/scans', {
          cookie: volunteer,
          body: { scanId: 'bad-stall-01', token: token('st2') },
        }),
        404,
        'ATTENDANCE_NOT_FOUND',
      ],
      [
        call(a.url, 'POST', '/stalls/A1/scans', {
          cookie: await cookieFor(a, 'st2', ['student']),
          body: { scanId: 'not-volunteer', token: token('st2') },
        }),
        403,
        'ATTENDANCE_FORBIDDEN',
      ],
      [
        call(a.url, 'POST', '/stalls/A1/scans', {
          cookie: volunteer,
          body: { scanId: 'x', token: token('st2') },
        }),
        400,
        'VALIDATION_FAILED',
      ],
    ] as const;
    for (const [pending, status, code] of cases) {
      const answer = await pending;
      expect([answer.status, errorCode(answer)], answer.text).toEqual([status, code]);
    }
    expect(await attendanceOf(a).stalls.presence('st2')).toBeNull();
  });
});
