/**
 * Check-in announcements, coalesced: a check-in (or a manual mark) is added here and, within
 * FLUSH_MS, one `checkin` announcement per session carries every check-in written since the
 * previous one and the session's count read after them. A burst of 1,600 check-ins is then a few
 * dozen messages instead of 1,600 publishes and count queries, and the count a display shows is
 * never older than the check-ins it comes with. Announcing never holds up a check-in; a lost
 * announcement is repaired by the pages' polling.
 */
import type { Announcer } from './announcer.js';
import type { Checkin } from './roll-calls.js';

const FLUSH_MS = 200;
/** Most check-ins in one announcement (about 200 bytes each; the rest go in the next). */
const MAX_PER_MESSAGE = 200;

export class CheckinFeed {
  readonly #pending = new Map<string, Checkin[]>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly announcer: () => Announcer,
    readonly count: (sessionId: string) => Promise<number>,
  ) {}

  add(checkin: Checkin): void {
    const list = this.#pending.get(checkin.sessionId);
    if (list === undefined) this.#pending.set(checkin.sessionId, [checkin]);
    else list.push(checkin);
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => void this.flush(), FLUSH_MS);
      this.#timer.unref();
    }
  }

  /** Announces everything pending now (the timer calls it). */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batches = [...this.#pending];
    this.#pending.clear();
    await Promise.all(
      batches.map(async ([sessionId, checkins]) => {
        try {
          const count = await this.count(sessionId);
          for (let i = 0; i < checkins.length; i += MAX_PER_MESSAGE) {
            await this.announcer().announce({
              type: 'checkin',
              sessionId,
              count,
              checkins: checkins.slice(i, i + MAX_PER_MESSAGE),
            });
          }
        } catch {
          // Redis or the database is down: the pages' polling shows the check-ins.
        }
      }),
    );
  }
}
