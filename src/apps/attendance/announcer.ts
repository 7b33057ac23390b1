/**
 * Where the attendance app tells displays and staff pages what changed: a new code window, new
 * check-ins with the session's count. The app only depends on this interface. The default is
 * `RealtimeAnnouncer` (./realtime.ts): a message to the session's room on the app's realtime
 * endpoint, reaching the WebSockets of every instance. `BusAnnouncer` publishes on the Plexus bus
 * instead (every instance hears it). Pages do not need announcements to be correct: without a
 * socket they poll the ETag'd display status and the check-ins list.
 */
import type { Bus } from '../../bus/bus.js';
import type { Checkin } from './roll-calls.js';

export type Announcement =
  | { type: 'rotation'; sessionId: string; window: number; code: string; expiresAt: number }
  | {
      type: 'checkin';
      sessionId: string;
      /** Students present in the session, counted after `checkins` were written. */
      count: number;
      /** The check-ins (and manual marks) written since the previous announcement of this process. */
      checkins: Checkin[];
    };

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
