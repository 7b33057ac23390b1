/**
 * The attendance app's realtime endpoint and its announcer (docs/attendance.md, "Live updates").
 *
 * Endpoint `attendance` (`/api/1/ws/attendance`), defined in code by the app's create():
 * - who connects: accounts with the `staff` role (admins pass every role check). A display is a
 *   staff member's signed-in browser on the projector, as its status API already requires; the
 *   session cookie authenticates the upgrade, a connection token (`POST /api/1/ws/attendance/token`)
 *   does for clients without it;
 * - one room per roll-call session, `session:<id>`, which the pages join themselves (staff may see
 *   every session); clients publish nothing;
 * - history on (REALTIME_HISTORY_SIZE), so a display that reconnects to another instance recovers
 *   what it missed by offset.
 *
 * Events in a session's room: `rotation` `{ window, code, expiresAt }` (once per window, from the
 * cluster's rotation job) and `checkin` `{ count, checkins }` (new check-ins and marks, coalesced
 * per process, see ./feed.ts).
 */
import type { Realtime, RealtimeEndpoint } from '../../realtime/index.js';
import type { Announcement, Announcer } from './announcer.js';

export const ATTENDANCE_ENDPOINT = 'attendance';

/** The room of a roll-call session (session ids are 16 of [a-z0-9]). */
export function sessionRoom(sessionId: string): string {
  return `session:${sessionId}`;
}

/** Defines (or returns) the app's endpoint on the hub. */
export function attendanceEndpoint(realtime: Realtime): RealtimeEndpoint {
  return realtime.endpoint(ATTENDANCE_ENDPOINT, {
    connect: { role: 'staff' },
    clientPublish: [],
    clientJoin: true,
  });
}

/** What the announcer needs of an endpoint. */
export interface RoomPublisher {
  toRoom(room: string, event: string, data: unknown): Promise<unknown>;
}

/** Announces to the session's room: event = the announcement's type, data = the rest. */
export class RealtimeAnnouncer implements Announcer {
  constructor(readonly endpoint: RoomPublisher) {}

  async announce(announcement: Announcement): Promise<void> {
    const { type, sessionId, ...data } = announcement;
    await this.endpoint.toRoom(sessionRoom(sessionId), type, data);
  }
}
