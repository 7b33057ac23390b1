/**
 * Where the attendance app tells displays what changed: a new code window, a check-in. The app
 * only depends on this interface; `BusAnnouncer` publishes on the Plexus bus (every instance
 * hears it, e.g. to push it to the WebSockets it holds), and the realtime module's adapter can be
 * passed instead (`attendanceApp` options). Pages do not need announcements to work: they poll
 * the ETag'd display status.
 */
import type { Bus } from '../../bus/bus.js';

export type Announcement =
  | { type: 'rotation'; sessionId: string; window: number; code: string; expiresAt: number }
  | { type: 'checkin'; sessionId: string; count: number };

export interface Announcer {
  announce(announcement: Announcement): Promise<void>;
}

/** Bus channel of every announcement (`app:area:event`). */
export const ANNOUNCE_CHANNEL = 'attendance:sessions:announce';

export class BusAnnouncer implements Announcer {
  constructor(readonly bus: Bus) {}

  async announce(announcement: Announcement): Promise<void> {
    await this.bus.publish(ANNOUNCE_CHANNEL, announcement);
  }
}
