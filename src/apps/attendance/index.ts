/**
 * The attendance app (issue 16; seeds 000 and 001): roll calls with rotating codes any instance
 * can issue and verify, device-bound idempotent check-ins, stall check-in/out, cluster jobs, and
 * the display, student, staff and volunteer pages. Install it after the QR app:
 * `createPlexus({ apps: [qrApp, attendanceApp] })`; its API is then `plexus.apps.attendance`.
 */

export { ANNOUNCE_CHANNEL, type Announcement, type Announcer, BusAnnouncer } from './announcer.js';
export { type AttendanceAppOptions, attendanceApp, createAttendanceApp } from './app.js';
export { type CodeCheck, type CodeKey, RotatingCodes } from './codes.js';
export { type AttendanceConfig, attendanceOptions, loadAttendanceConfig } from './config.js';
export { ATTENDANCE_ERRORS, AttendanceError, type AttendanceErrorCode } from './errors.js';
export { DirectoryStorage, type PhotoStorage, sniffImage } from './photos.js';
export {
  ATTENDANCE_ENDPOINT,
  attendanceEndpoint,
  RealtimeAnnouncer,
  type RoomPublisher,
  sessionRoom,
} from './realtime.js';
export type { Checkin, CheckinResult, Course, DisplayStatus, NewRollCall, RollCall } from './roll-calls.js';
export { AttendanceService } from './service.js';
export type { ScanAction, ScanResult, StallStats } from './stalls.js';
