/**
 * The `settings` table (migration settings-001): the source of truth of every configuration
 * value. A write is a compare-and-set on `version` inside one transaction, so two writers that
 * read the same version cannot both succeed, on SQLite and PostgreSQL alike, without row locks:
 * read the current row, then `update ... where version = <read>` (or `insert ... on conflict do
 * nothing` when there was none); if nothing changed, someone else wrote in between: with
 * `ifVersion` the write fails with SETTINGS_VERSION_CONFLICT, without it the loop reads again.
 * Database failures that mean "unreachable" become SETTINGS_UNAVAILABLE.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database, PlexusTables } from '../db/database.js';
import { isDatabaseUnavailable } from '../db/errors.js';
import { SettingsError, VersionConflictError } from './errors.js';
import type { JsonValue, SettingEntry } from './types.js';

type SettingsRow = {
  collection: string;
  key: string;
  value: string;
  version: number;
  updated_at: number;
  updated_by: string;
};

export type SettingsTables = PlexusTables & { settings: SettingsRow };

/** Runs inside the write's transaction with what was there and what is there now (audit trails). */
export type WriteHook = (
  trx: Transaction<SettingsTables>,
  before: SettingEntry | null,
  after: SettingEntry | null,
) => Promise<void>;

/** Most attempts of a last-writer-wins write racing other writers before it gives up. */
const MAX_ATTEMPTS = 20;

export class SettingsRepository {
  readonly #db: Kysely<SettingsTables>;

  constructor(db: Database) {
    this.#db = db.kysely.withTables<{ settings: SettingsRow }>();
  }

  read(collection: string, key: string): Promise<SettingEntry | null> {
    return guarded('read', () => current(this.#db, collection, key));
  }

  /** Keys of a collection in order, after `after`, at most `limit`. */
  list(collection: string, after: string | undefined, limit: number): Promise<SettingEntry[]> {
    return guarded('read', async () => {
      let query = this.#db.selectFrom('settings').selectAll().where('collection', '=', collection);
      if (after !== undefined) query = query.where('key', '>', after);
      const rows = await query.orderBy('key').limit(limit).execute();
      return rows.map(toEntry);
    });
  }

  /** Every key of a collection (for warming and flag listings; collections are small). */
  keys(collection: string): Promise<string[]> {
    return guarded('read', async () => {
      const rows = await this.#db
        .selectFrom('settings')
        .select('key')
        .where('collection', '=', collection)
        .orderBy('key')
        .execute();
      return rows.map((r) => r.key);
    });
  }

  write(
    collection: string,
    key: string,
    value: JsonValue,
    by: string,
    ifVersion: number | undefined,
    hook?: WriteHook,
  ): Promise<SettingEntry> {
    const json = JSON.stringify(value);
    return guarded('write', () =>
      this.#db.transaction().execute(async (trx) => {
        await claim(trx, collection, key);
        for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
          const before = await current(trx, collection, key);
          const have = before?.version ?? 0;
          if (ifVersion !== undefined && ifVersion !== have) {
            throw new VersionConflictError(collection, key, ifVersion, before?.version ?? null);
          }
          const row: SettingsRow = {
            collection,
            key,
            value: json,
            version: have + 1,
            updated_at: Date.now(),
            updated_by: by,
          };
          const changed =
            before === null
              ? (
                  await trx
                    .insertInto('settings')
                    .values(row)
                    .onConflict((oc) => oc.columns(['collection', 'key']).doNothing())
                    .executeTakeFirst()
                ).numInsertedOrUpdatedRows
              : (
                  await trx
                    .updateTable('settings')
                    .set({ value: json, version: row.version, updated_at: row.updated_at, updated_by: by })
                    .where('collection', '=', collection)
                    .where('key', '=', key)
                    .where('version', '=', have)
                    .executeTakeFirst()
                ).numUpdatedRows;
          if (Number(changed ?? 0) === 1) {
            const after = toEntry(row);
            await hook?.(trx, before, after);
            return after;
          }
          if (ifVersion !== undefined) {
            const now = await current(trx, collection, key);
            throw new VersionConflictError(collection, key, ifVersion, now?.version ?? null);
          }
        }
        throw new SettingsError('SETTINGS_UNAVAILABLE', `${collection}/${key}: too many concurrent writers`);
      }),
    );
  }

  /** Deletes the row; resolves to what it held, or null when there was none. */
  remove(
    collection: string,
    key: string,
    ifVersion: number | undefined,
    hook?: WriteHook,
  ): Promise<SettingEntry | null> {
    return guarded('write', () =>
      this.#db.transaction().execute(async (trx) => {
        await claim(trx, collection, key);
        const before = await current(trx, collection, key);
        if (before === null) return null;
        if (ifVersion !== undefined && ifVersion !== before.version) {
          throw new VersionConflictError(collection, key, ifVersion, before.version);
        }
        const deleted = await trx
          .deleteFrom('settings')
          .where('collection', '=', collection)
          .where('key', '=', key)
          .where('version', '=', before.version)
          .executeTakeFirst();
        if (Number(deleted.numDeletedRows) !== 1) {
          const now = await current(trx, collection, key);
          throw new VersionConflictError(collection, key, ifVersion ?? before.version, now?.version ?? null);
        }
        await hook?.(trx, before, null);
        return before;
      }),
    );
  }
}

/**
 * Takes the write lock before reading: an update that changes nothing. On SQLite a transaction
 * that reads first and writes later cannot upgrade its lock while another writer holds it (it
 * fails at once with SQLITE_BUSY, whatever the busy timeout); writing first makes it wait its turn.
 * On PostgreSQL it locks the row, so the read that follows is current.
 */
async function claim(trx: Transaction<SettingsTables>, collection: string, key: string): Promise<void> {
  await trx
    .updateTable('settings')
    .set((eb) => ({ version: eb.ref('version') }))
    .where('collection', '=', collection)
    .where('key', '=', key)
    .execute();
}

/** The stored entry, read in a transaction or on its own. */
async function current(
  trx: Kysely<SettingsTables>,
  collection: string,
  key: string,
): Promise<SettingEntry | null> {
  const row = await trx
    .selectFrom('settings')
    .selectAll()
    .where('collection', '=', collection)
    .where('key', '=', key)
    .executeTakeFirst();
  return row === undefined ? null : toEntry(row);
}

function toEntry(row: SettingsRow): SettingEntry {
  return {
    collection: row.collection,
    key: row.key,
    value: JSON.parse(row.value) as JsonValue,
    version: Number(row.version),
    updatedAt: Number(row.updated_at),
    updatedBy: row.updated_by,
  };
}

async function guarded<T>(what: 'read' | 'write', run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isDatabaseUnavailable(error)) {
      throw new SettingsError(
        'SETTINGS_UNAVAILABLE',
        what === 'write'
          ? 'The configuration database cannot be written right now; retry later'
          : 'The configuration database cannot be read right now',
        { cause: error },
      );
    }
    throw error;
  }
}
