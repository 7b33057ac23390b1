/**
 * Opaque cursors for the check-in list: the (time, student) of the last row served, base64url
 * JSON. Clients pass them back unchanged; anything else is ATTENDANCE_INVALID (HTTP 400).
 */
import { decodeCursor as decodePosition, encodeCursor as encodePosition } from '../../pagination/cursor.js';
import { AttendanceError } from './errors.js';

export interface CheckinCursor {
  at: number;
  studentId: string;
}

/** The position is `[time, studentId]`. */
const isPosition = (value: unknown): value is [number, string] =>
  Array.isArray(value) &&
  value.length === 2 &&
  Number.isSafeInteger(value[0]) &&
  typeof value[1] === 'string' &&
  value[1].length <= 200;

export function encodeCursor(cursor: CheckinCursor): string {
  return encodePosition([cursor.at, cursor.studentId]);
}

export function decodeCursor(text: string): CheckinCursor {
  const position = decodePosition(text, isPosition);
  if (position === undefined)
    throw new AttendanceError('ATTENDANCE_INVALID', 'cursor is not one this server issued');
  return { at: position[0], studentId: position[1] };
}
