/**
 * Errors of the attendance app, each with a stable code and its HTTP status (STATUSES, given to
 * `defineApp`). A refused check-in says why, so the student's page can show it.
 */
import { PlexusError, type PlexusErrorOptions } from '../../errors.js';

export const ATTENDANCE_ERRORS = {
  /** No such course, session, stall, student or photo. */
  ATTENDANCE_NOT_FOUND: 404,
  /** The signed-in account may not do this (not staff, not a volunteer, not a student). */
  ATTENDANCE_FORBIDDEN: 403,
  /** The code is not one of ours, or its signature does not match. */
  ATTENDANCE_CODE_INVALID: 400,
  /** The code was right, but for a window that has passed. */
  ATTENDANCE_CODE_EXPIRED: 410,
  /** The session has ended or was closed. */
  ATTENDANCE_SESSION_CLOSED: 409,
  /** This device already checked in another student to this session. */
  ATTENDANCE_DEVICE_USED: 409,
  /** The session requires a photo and none was given. */
  ATTENDANCE_PHOTO_REQUIRED: 400,
  /** The upload is not a JPEG, PNG or WebP image, or is too large. */
  ATTENDANCE_PHOTO_INVALID: 400,
  /** A scanned student code is not valid (malformed, tampered, revoked or unknown). */
  ATTENDANCE_STUDENT_CODE_INVALID: 400,
  /** A display link that is malformed, unknown, revoked, or whose session has ended. */
  ATTENDANCE_LINK_INVALID: 401,
  /** A request is well-formed but makes no sense (ends before it starts, bad cursor). */
  ATTENDANCE_INVALID: 400,
} as const;

export type AttendanceErrorCode = keyof typeof ATTENDANCE_ERRORS;

export class AttendanceError extends PlexusError {
  constructor(code: AttendanceErrorCode, message: string, options: PlexusErrorOptions = {}) {
    super(code, message, options);
  }
}
