/**
 * Device bindings (seed 000: "device ids cached and shared by all workers"). A device id is a
 * random value in an HttpOnly cookie; the first student who checks in with it owns it. The owner
 * is kept in the database (the record) and in the Plexus cache (`attendance/devices`, L1 in each
 * process over Redis, invalidated on every instance), so a check-in normally costs no query for
 * it; with Redis down the cache answers from the database through its loader.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { CacheNamespace } from '../../cache/index.js';
import type { AttendanceTables } from './db/tables.js';

export const DEVICE_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

export function newDeviceId(): string {
  return randomBytes(16).toString('base64url');
}

export interface DeviceVerdict {
  /** The device was first used by another student, or the student already has another device. */
  flagged: boolean;
}

export class Devices {
  readonly #db: Kysely<AttendanceTables>;
  readonly #cache: CacheNamespace;
  readonly #ttlMs: number;

  constructor(db: Kysely<AttendanceTables>, cache: CacheNamespace, ttlMs: number) {
    this.#db = db;
    this.#cache = cache;
    this.#ttlMs = ttlMs;
  }

  /** Binds an unknown device to the student, and says whether the pair is suspicious. */
  async bind(deviceId: string, studentId: string): Promise<DeviceVerdict> {
    const owner = await this.owner(deviceId);
    if (owner !== null) return { flagged: owner !== studentId };
    const now = Date.now();
    const inserted = await this.#db
      .insertInto('att_devices')
      .values({ device_id: deviceId, student_id: studentId, created_at: now, last_seen_at: now })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    await this.#cache.delete(deviceId);
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
      // Another request bound it first (a double tap on two instances).
      return { flagged: (await this.owner(deviceId)) !== studentId };
    }
    const other = await this.#db
      .selectFrom('att_devices')
      .select('device_id')
      .where('student_id', '=', studentId)
      .where('device_id', '!=', deviceId)
      .limit(1)
      .executeTakeFirst();
    return { flagged: other !== undefined };
  }

  /** The student who owns a device, or null. */
  owner(deviceId: string): Promise<string | null> {
    return this.#cache.getOrSet<string | null>(
      deviceId,
      async () => {
        const row = await this.#db
          .selectFrom('att_devices')
          .select('student_id')
          .where('device_id', '=', deviceId)
          .executeTakeFirst();
        return row?.student_id ?? null;
      },
      { ttl: this.#ttlMs },
    );
  }

  /** Deletes bindings unused for `olderThanMs`; how many. */
  async purge(olderThanMs: number): Promise<number> {
    const result = await this.#db
      .deleteFrom('att_devices')
      .where('last_seen_at', '<', Date.now() - olderThanMs)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
