/**
 * Opaque cursors for the check-in list: the (time, student) of the last row served, base64url
 * JSON. Clients pass them back unchanged; anything else is ATTENDANCE_INVALID (HTTP 400).
 */
import { AttendanceError } from './errors.js';

export interface CheckinCursor {
  at: number;
  studentId: string;
}

export function encodeCursor(cursor: CheckinCursor): string {
  return Buffer.from(JSON.stringify([cursor.at, cursor.studentId]), 'utf8').toString('base64url');
}

export function decodeCursor(text: string): CheckinCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      Number.isSafeInteger(value[0]) &&
      typeof value[1] === 'string' &&
      value[1].length <= 200
    ) {
      return { at: value[0] as number, studentId: value[1] };
    }
  } catch {
    // Falls through to the error below.
  }
  throw new AttendanceError('ATTENDANCE_INVALID', 'cursor is not one this server issued');
}
