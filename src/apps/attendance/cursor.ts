/**
 * Opaque cursors for the app's lists (check-ins, display links): the (time, id) of the last row
 * served, base64url JSON. Clients pass them back unchanged; anything else is ATTENDANCE_INVALID
 * (HTTP 400).
 */
import { decodeCursor as decodePosition, encodeCursor as encodePosition } from '../../pagination/cursor.js';
import { AttendanceError } from './errors.js';

/** Where a page ended: the last row's time and id (a student id for check-ins, a link id for links). */
export interface ListPosition {
  at: number;
  id: string;
}

/** The position is `[time, id]`. */
const isPosition = (value: unknown): value is [number, string] =>
  Array.isArray(value) &&
  value.length === 2 &&
  Number.isSafeInteger(value[0]) &&
  typeof value[1] === 'string' &&
  value[1].length <= 200;

export function encodeCursor(position: ListPosition): string {
  return encodePosition([position.at, position.id]);
}

export function decodeCursor(text: string): ListPosition {
  const position = decodePosition(text, isPosition);
  if (position === undefined)
    throw new AttendanceError('ATTENDANCE_INVALID', 'cursor is not one this server issued');
  return { at: position[0], id: position[1] };
}
