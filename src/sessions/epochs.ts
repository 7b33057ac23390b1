/**
 * Logout epochs: what makes logout-all outage-proof by construction.
 *
 * Every user has an epoch (ms since the Unix epoch, 0 when never set): the time of their latest
 * logout-all. A session is dead once its user's epoch is later than the session's `validFrom`
 * (its creation time, or the epoch of the logout-all that kept it). Every read checks it — the
 * Redis read, the local copies, the sessions this process keeps during an outage, the outage
 * copies and the database copy — so a session issued before a logout-all cannot be served again
 * wherever it was kept meanwhile and in whatever order instances come back to Redis.
 *
 * Where an epoch lives:
 * - in Redis, `sess-epoch:<userId>` (lua/session_epoch.lua: it only moves forward), kept two
 *   session lifetimes: a session valid before it can no longer be renewed (every renewing read
 *   checks the epoch), so it has expired by then;
 * - in this process (`EpochBook`): the epochs of logout-alls made here (written to Redis again on
 *   every return to it, so a Redis restarted empty gets them back from every instance that made
 *   one) and those learned from Redis reads and from the invalidation channel;
 * - in durable mode, in the database (`session_epochs`), written before the logout-all answers,
 *   put back into Redis on every return to it, and applied to the database copy of sessions.
 *
 * Clocks: epochs and creation times come from the clocks of different instances; a login made on
 * one instance within the clock skew after a logout-all on another may be ended by it (never the
 * other way round for the skew's direction that matters: keep clocks synchronised, NTP).
 */
import type { SessionRecord } from './record.js';

/** The time a session's epoch check compares against. */
export function validFrom(record: Readonly<SessionRecord>): number {
  return record.validFrom ?? record.createdAt;
}

/** Whether `epoch` (the user's) ends this session. */
export function endedByEpoch(record: Readonly<SessionRecord>, epoch: number): boolean {
  return record.user !== null && validFrom(record) < epoch;
}

interface Known {
  epoch: number;
  /** Forgotten after this (ms): no session issued before the epoch can be alive by then. */
  until: number;
  /** Set by a logout-all made here: written to Redis again on every return to it. */
  own: boolean;
}

export interface EpochBookOptions {
  /** How long an epoch is remembered: the longest lifetime of a session. */
  keepMs: number;
  /** Most users remembered; the oldest entry goes first (own epochs are kept before learned ones). */
  maxEntries: number;
  now: () => number;
}

export class EpochBook {
  readonly #known = new Map<string, Known>();
  readonly #options: EpochBookOptions;

  constructor(options: EpochBookOptions) {
    this.#options = options;
  }

  /** The latest epoch of the user known here; 0 when none. */
  get(userId: string): number {
    const known = this.#known.get(userId);
    if (known === undefined) return 0;
    if (known.until <= this.#options.now()) {
      this.#known.delete(userId);
      return 0;
    }
    return known.epoch;
  }

  /** Records an epoch (a logout-all made here when `own`); returns the latest one known. */
  raise(userId: string, epoch: number, own = false): number {
    if (epoch <= 0) return this.get(userId);
    const known = this.#known.get(userId);
    const until = this.#options.now() + this.#options.keepMs;
    if (known !== undefined && known.epoch >= epoch && known.until > this.#options.now()) {
      known.own ||= own && known.epoch === epoch;
      return known.epoch;
    }
    this.#known.delete(userId);
    this.#known.set(userId, { epoch, until, own });
    this.#trim();
    return epoch;
  }

  /** Whether the session is dead by what this process knows. */
  ends(record: Readonly<SessionRecord>): boolean {
    return record.user !== null && endedByEpoch(record, this.get(record.user.id));
  }

  /** The epochs of logout-alls made here and still remembered. */
  own(): [userId: string, epoch: number][] {
    const now = this.#options.now();
    const result: [string, number][] = [];
    for (const [userId, known] of this.#known) {
      if (known.own && known.until > now) result.push([userId, known.epoch]);
    }
    return result;
  }

  get size(): number {
    return this.#known.size;
  }

  #trim(): void {
    if (this.#known.size <= this.#options.maxEntries) return;
    for (const [userId, known] of this.#known) {
      if (this.#known.size <= this.#options.maxEntries) return;
      if (!known.own) this.#known.delete(userId);
    }
    for (const userId of this.#known.keys()) {
      if (this.#known.size <= this.#options.maxEntries) return;
      this.#known.delete(userId);
    }
  }
}
