/**
 * Helpers for the attendance tests: instances sharing one Redis prefix and one database, accounts
 * signed in through the real session store (a login per student would spend the test's time in
 * scrypt), the QR rosters, and JSON calls with a cookie jar.
 */

import type { Role } from '../../../src/accounts/roles.js';
import type { AttendanceService } from '../../../src/apps/attendance/service.js';
import { uniquePrefix } from '../../support/redis.js';
import { qrOf, type Running, request } from '../server/harness.js';

export const ADMIN_TOKEN = 'attendance-test-admin-token-0123456789';

export function attendanceOf(running: Running): AttendanceService {
  const found = (running.plexus.apps as { attendance?: AttendanceService }).attendance;
  if (found === undefined) throw new Error('the attendance app is not installed');
  return found;
}

export function baseEnv(
  db: Record<string, string>,
  extra: Record<string, string> = {},
): Record<string, string> {
  // The harness defaults to an in-memory SQLite database per instance; instances share the file.
  const sqliteFile: Record<string, string> =
    db.PLEXUS_DATA_DIR !== undefined && db.DATABASE_URL === undefined
      ? { DATABASE_URL: `sqlite:${db.PLEXUS_DATA_DIR}/plexus.db` }
      : {};
  return {
    ...sqliteFile,
    REDIS_KEY_PREFIX: uniquePrefix('att'),
    QR_SECRET: 'attendance-test-qr-secret-0123456789',
    ATTENDANCE_SECRET: 'attendance-test-code-secret-0123456789',
    PLEXUS_ADMIN_TOKEN: ADMIN_TOKEN,
    LOG_LEVEL: 'warn',
    ...db,
    ...extra,
  };
}

/** A session for an account with these roles, as the `Cookie` header that carries it. */
export async function cookieFor(running: Running, login: string, roles: Role[]): Promise<string> {
  const record = await running.plexus.sessions.create({
    user: { id: `id-${login}`, login, roles },
    ttlMs: 3_600_000,
  });
  return running.plexus.auth.cookie.issue(record.id).split(';')[0]!;
}

export async function importStudents(running: Running, ids: readonly string[]): Promise<void> {
  await qrOf(running).importRoster(
    'student',
    `id,name\n${ids.map((id) => `${id},Student ${id}`).join('\n')}\n`,
  );
}

export async function importStalls(running: Running, ids: readonly string[]): Promise<void> {
  await qrOf(running).importRoster('stall', `id,name\n${ids.map((id) => `${id},Stall ${id}`).join('\n')}\n`);
}

export interface Call {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
  text: string;
}

export function call(
  base: string,
  method: string,
  path: string,
  options: { cookie?: string; body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<Call> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.cookie !== undefined) headers.cookie = options.cookie;
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | Blob | undefined;
  if (Buffer.isBuffer(options.body)) body = new Blob([new Uint8Array(options.body)]);
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  return request(`${base}/api/1/attendance${path}`, { method, headers, body });
}

/** Opens a roll call through the API (admin token) and returns its id. */
export async function openRollCall(
  base: string,
  options: { photoRequired?: boolean; lateAfterMinutes?: number; startsAt?: number; minutes?: number } = {},
): Promise<string> {
  const course = await call(base, 'POST', '/courses', {
    token: ADMIN_TOKEN,
    body: { name: 'Databases 101' },
  });
  if (course.status !== 200) throw new Error(`course: ${course.text}`);
  const startsAt = options.startsAt ?? Date.now();
  const session = await call(base, 'POST', '/sessions', {
    token: ADMIN_TOKEN,
    body: {
      courseId: course.body.id,
      room: 'B-204',
      startsAt,
      endsAt: startsAt + (options.minutes ?? 60) * 60_000,
      photoRequired: options.photoRequired ?? false,
      ...(options.lateAfterMinutes === undefined ? {} : { lateAfterMinutes: options.lateAfterMinutes }),
    },
  });
  if (session.status !== 200) throw new Error(`session: ${session.text}`);
  return session.body.id as string;
}
