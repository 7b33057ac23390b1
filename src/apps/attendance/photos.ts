/**
 * Check-in photos: checked by content (JPEG, PNG or WebP magic bytes, never the name or the
 * declared type alone), bounded in size, stored as files under the photo directory with a row in
 * `att_photos`, served only to staff, and deleted by the photo cleanup job after the retention.
 * Storage goes through `PhotoStorage`, so an object-storage adapter can replace the directory.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { AttendanceTables } from './db/tables.js';
import { AttendanceError } from './errors.js';

export type PhotoType = 'image/jpeg' | 'image/png' | 'image/webp';

export interface PhotoStorage {
  put(id: string, body: Buffer): Promise<void>;
  get(id: string): Promise<Buffer | undefined>;
  delete(id: string): Promise<void>;
}

export class DirectoryStorage implements PhotoStorage {
  #ready: Promise<unknown> | undefined;
  constructor(readonly dir: string) {}

  async put(id: string, body: Buffer): Promise<void> {
    this.#ready ??= mkdir(this.dir, { recursive: true });
    await this.#ready;
    await writeFile(join(this.dir, id), body);
  }

  async get(id: string): Promise<Buffer | undefined> {
    try {
      return await readFile(join(this.dir, id));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async delete(id: string): Promise<void> {
    await rm(join(this.dir, id), { force: true });
  }
}

/** The image type of the bytes, by their signature; undefined for anything else. */
export function sniffImage(body: Buffer): PhotoType | undefined {
  if (body.length >= 3 && body[0] === 0xff && body[1] === 0xd8 && body[2] === 0xff) return 'image/jpeg';
  if (
    body.length >= 8 &&
    body.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
  ) {
    return 'image/png';
  }
  if (
    body.length >= 12 &&
    body.toString('latin1', 0, 4) === 'RIFF' &&
    body.toString('latin1', 8, 12) === 'WEBP'
  ) {
    return 'image/webp';
  }
  return undefined;
}

export const PHOTO_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

export class Photos {
  constructor(
    readonly db: Kysely<AttendanceTables>,
    readonly storage: PhotoStorage,
    readonly maxBytes: number,
  ) {}

  async store(studentId: string, body: Buffer): Promise<{ id: string; type: PhotoType; bytes: number }> {
    if (body.length > this.maxBytes) {
      throw new AttendanceError('ATTENDANCE_PHOTO_INVALID', `photos are at most ${this.maxBytes} bytes`);
    }
    const type = sniffImage(body);
    if (type === undefined)
      throw new AttendanceError('ATTENDANCE_PHOTO_INVALID', 'photos must be JPEG, PNG or WebP images');
    const id = randomBytes(16).toString('base64url');
    await this.storage.put(id, body);
    await this.db
      .insertInto('att_photos')
      .values({ id, student_id: studentId, type, bytes: body.length, created_at: Date.now() })
      .execute();
    return { id, type, bytes: body.length };
  }

  async owner(id: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('att_photos')
      .select('student_id')
      .where('id', '=', id)
      .executeTakeFirst();
    return row?.student_id;
  }

  async read(id: string): Promise<{ type: string; body: Buffer } | undefined> {
    const row = await this.db.selectFrom('att_photos').select('type').where('id', '=', id).executeTakeFirst();
    if (row === undefined) return undefined;
    const body = await this.storage.get(id);
    return body === undefined ? undefined : { type: row.type, body };
  }

  /** Deletes photos older than the retention (files, then rows); how many. */
  async purge(olderThanMs: number, signal?: AbortSignal): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let deleted = 0;
    for (;;) {
      if (signal?.aborted) return deleted;
      const rows = await this.db
        .selectFrom('att_photos')
        .select('id')
        .where('created_at', '<', cutoff)
        .limit(500)
        .execute();
      if (rows.length === 0) return deleted;
      for (const { id } of rows) await this.storage.delete(id);
      const ids = rows.map((r) => r.id);
      await this.db
        .updateTable('att_checkins')
        .set({ photo_id: null })
        .where('photo_id', 'in', ids)
        .execute();
      await this.db.deleteFrom('att_photos').where('id', 'in', ids).execute();
      deleted += rows.length;
    }
  }
}
