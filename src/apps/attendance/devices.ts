/**
 * Device bindings (seed 000: "device ids cached and shared by all workers"). A device id is a
 * random value in an HttpOnly cookie; the first student who checks in with it owns it. The owner
 * is kept in the database (the record) and in the Plexus cache (`attendance/devices`, L1 in each
 * process over Redis), so a known device costs no query. An owner never changes once bound, so
 * only owners are cached, never "unknown": a new device costs its share of one batched query
 * (owners and the students' other devices, for every check-in of that moment) and one row in a
 * batched insert (./insert-batch.ts), with no cache write or invalidation. With Redis down the database answers.
 * On PostgreSQL a code check-in does not come here: its one statement binds the device and reads
 * the owner itself (./checkin-statement.ts), which costs no more than asking the cache first.
 *
 * A binding is kept while its device is used: every written check-in calls `seen()`, which moves
 * the binding's `last_seen_at` forward at most once a day per device and instance, in one batched
 * UPDATE a second later (off the check-in's path). The cleanup job deletes bindings unused for
 * ATTENDANCE_DEVICE_BINDING_TTL (`purge`), so a phone used all year keeps its owner.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { CacheNamespace } from '../../cache/index.js';
import type { AttendanceTables } from './db/tables.js';
import { InsertBatch, ReadBatch } from './insert-batch.js';

export const DEVICE_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

export function newDeviceId(): string {
  return randomBytes(16).toString('base64url');
}

export interface DeviceVerdict {
  /** The device was first used by another student, or the student already has another device. */
  flagged: boolean;
  /** The device was bound before (false: bound now, so its binding's last use is now). */
  known: boolean;
}

/** Most (device, student) pairs looked up by one query (two `IN` lists of at most this many). */
const LOOKUP_BATCH = 400;
const DAY_MS = 86_400_000;
/** How long `seen()` gathers devices before one UPDATE records them. */
const SEEN_FLUSH_MS = 1000;
/** Most devices one UPDATE names, and most remembered as recorded today (then forgotten at once). */
const SEEN_BATCH = 500;
const SEEN_MEMO = 100_000;

interface Lookup {
  owner: string | null;
  studentHasOther: boolean;
}

export class Devices {
  readonly #db: Kysely<AttendanceTables>;
  readonly #cache: CacheNamespace;
  readonly #ttlMs: number;
  readonly #inserts: InsertBatch<AttendanceTables['att_devices']>;
  readonly #lookups: ReadBatch<{ deviceId: string; studentId: string }, Lookup>;
  /** The day (epoch days) each device's use was last recorded by this instance. */
  readonly #seenOn = new Map<string, number>();
  #unrecorded = new Set<string>();
  #seenTimer: NodeJS.Timeout | undefined;
  #recording = Promise.resolve();

  constructor(db: Kysely<AttendanceTables>, cache: CacheNamespace, ttlMs: number) {
    this.#db = db;
    this.#cache = cache;
    this.#ttlMs = ttlMs;
    this.#lookups = new ReadBatch((pairs) => this.#lookup(pairs), LOOKUP_BATCH);
    this.#inserts = new InsertBatch({
      uniqueKeys: [(row) => row.device_id],
      write: async (rows) =>
        (
          await db
            .insertInto('att_devices')
            .values(rows)
            .onConflict((oc) => oc.doNothing())
            .returning('device_id')
            .execute()
        ).map((r) => r.device_id),
    });
  }

  /** Binds an unknown device to the student, and says whether the pair is suspicious. */
  async bind(deviceId: string, studentId: string): Promise<DeviceVerdict> {
    const cached = await this.#cached(deviceId);
    if (cached !== undefined) return { flagged: cached !== studentId, known: true };
    const found = await this.#lookups.get({ deviceId, studentId });
    const owner = found.owner ?? undefined;
    if (owner !== undefined) {
      this.#remember(deviceId, owner);
      return { flagged: owner !== studentId, known: true };
    }
    const now = Date.now();
    const inserted = await this.#inserts.insert({
      device_id: deviceId,
      student_id: studentId,
      created_at: now,
      last_seen_at: now,
    });
    if (!inserted) {
      // Another request bound it first (a double tap on two instances).
      return { flagged: (await this.owner(deviceId)) !== studentId, known: true };
    }
    return { flagged: found.studentHasOther, known: false };
  }

  /** The student who owns a device, or null. */
  async owner(deviceId: string): Promise<string | null> {
    const cached = await this.#cached(deviceId);
    if (cached !== undefined) return cached;
    const owner = await this.#ownerInDb(deviceId);
    if (owner !== null) this.#remember(deviceId, owner);
    return owner;
  }

  /** For each (device, student): the device's owner and whether the student has another device, in one query. */
  async #lookup(pairs: { deviceId: string; studentId: string }[]): Promise<Lookup[]> {
    const devices = [...new Set(pairs.map((p) => p.deviceId))];
    const students = [...new Set(pairs.map((p) => p.studentId))];
    const rows = await this.#db
      .selectFrom('att_devices')
      .select(['device_id', 'student_id'])
      .where((eb) => eb.or([eb('device_id', 'in', devices), eb('student_id', 'in', students)]))
      .execute();
    const owners = new Map(rows.map((r) => [r.device_id, r.student_id]));
    const devicesOf = new Map<string, string[]>();
    for (const r of rows) devicesOf.set(r.student_id, [...(devicesOf.get(r.student_id) ?? []), r.device_id]);
    return pairs.map(({ deviceId, studentId }) => ({
      owner: owners.get(deviceId) ?? null,
      studentHasOther: (devicesOf.get(studentId) ?? []).some((d) => d !== deviceId),
    }));
  }

  async #cached(deviceId: string): Promise<string | undefined> {
    const local = this.#cache.peek<string>(deviceId);
    if (local !== undefined) return local;
    try {
      return await this.#cache.get<string>(deviceId);
    } catch {
      return undefined; // Redis down: the database answers
    }
  }

  #remember(deviceId: string, owner: string): void {
    this.#cache.set(deviceId, owner, { ttl: this.#ttlMs }).catch(() => {});
  }

  async #ownerInDb(deviceId: string): Promise<string | null> {
    const row = await this.#db
      .selectFrom('att_devices')
      .select('student_id')
      .where('device_id', '=', deviceId)
      .executeTakeFirst();
    return row?.student_id ?? null;
  }

  /** The device checked in now: its binding's last use is recorded (at most daily, batched). */
  seen(deviceId: string, at = Date.now()): void {
    const day = Math.floor(at / DAY_MS);
    if (this.#seenOn.get(deviceId) === day) return;
    if (this.#seenOn.size >= SEEN_MEMO) this.#seenOn.clear();
    this.#seenOn.set(deviceId, day);
    this.#unrecorded.add(deviceId);
    if (this.#seenTimer === undefined) {
      this.#seenTimer = setTimeout(() => void this.recordSeen(), SEEN_FLUSH_MS);
      this.#seenTimer.unref();
    }
  }

  /**
   * Records the uses `seen()` gathered (what its timer does); resolves once every recording asked
   * for so far has ended. A failed batch is tried again on the device's next use.
   */
  recordSeen(): Promise<void> {
    clearTimeout(this.#seenTimer);
    this.#seenTimer = undefined;
    const ids = [...this.#unrecorded];
    this.#unrecorded = new Set();
    this.#recording = this.#recording.then(() => this.#record(ids));
    return this.#recording;
  }

  async #record(ids: readonly string[]): Promise<void> {
    const now = Date.now();
    for (let i = 0; i < ids.length; i += SEEN_BATCH) {
      const batch = ids.slice(i, i + SEEN_BATCH);
      await this.#db
        .updateTable('att_devices')
        .set({ last_seen_at: now })
        .where('device_id', 'in', batch)
        .where('last_seen_at', '<', now)
        .execute()
        .catch(() => {
          for (const id of batch) this.#seenOn.delete(id);
        });
    }
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
