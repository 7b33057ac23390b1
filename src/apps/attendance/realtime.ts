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
 *
 * Endpoint `attendance-display` (`/api/1/ws/attendance-display`), for projectors opened with a
 * display link (./display-links.ts): only the role `attendance-display` (which no account holds: it
 * is in the connection tokens a link obtains) connects, as the user `display-link:<link id>`; clients
 * join no room and publish nothing. Each live link of a session is sent, on its user stream,
 * `rotation` as above and `checkin` with the count alone (`{ count }`: no student ids), and
 * `revoked` when staff revoke it.
 */
import type { Realtime, RealtimeEndpoint } from '../../realtime/index.js';
import type { Announcement, Announcer } from './announcer.js';
import { displayLinkUser } from './display-links.js';

export const ATTENDANCE_ENDPOINT = 'attendance';
export const DISPLAY_ENDPOINT = 'attendance-display';
export const DISPLAY_ROLE = 'attendance-display';

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

/** Defines (or returns) the display links' endpoint on the hub. */
export function displayEndpoint(realtime: Realtime): RealtimeEndpoint {
  return realtime.endpoint(DISPLAY_ENDPOINT, {
    connect: { role: DISPLAY_ROLE },
    clientPublish: [],
    clientJoin: false,
  });
}

/** What the announcer needs of an endpoint. */
export interface RoomPublisher {
  toRoom(room: string, event: string, data: unknown): Promise<unknown>;
}

/** What the announcer needs for display links: their endpoint and a session's live links. */
export interface DisplayPublisher {
  endpoint: { toUser(userId: string, event: string, data: unknown): Promise<unknown> };
  active(sessionId: string): Promise<string[]>;
}

/**
 * Announces to the session's room (event = the announcement's type, data = the rest) and to the
 * display links of the session (rotations as they are, check-ins as the count alone).
 */
export class RealtimeAnnouncer implements Announcer {
  constructor(
    readonly endpoint: RoomPublisher,
    readonly displays?: DisplayPublisher,
  ) {}

  async announce(announcement: Announcement): Promise<void> {
    const { type, sessionId, ...data } = announcement;
    await Promise.all([
      this.endpoint.toRoom(sessionRoom(sessionId), type, data),
      this.#toDisplays(announcement),
    ]);
  }

  async #toDisplays(announcement: Announcement): Promise<void> {
    if (this.displays === undefined) return;
    const { endpoint } = this.displays;
    const links = await this.displays.active(announcement.sessionId);
    const data =
      announcement.type === 'checkin'
        ? { count: announcement.count }
        : { window: announcement.window, code: announcement.code, expiresAt: announcement.expiresAt };
    await Promise.all(links.map((id) => endpoint.toUser(displayLinkUser(id), announcement.type, data)));
  }
}
