/**
 * The flags' audit trail (table `flag_audit`, migration settings-001): one row per change, written
 * in the same transaction as the change itself, so a change without its row (or the reverse)
 * cannot exist. Pages run newest first with an opaque cursor (the last row's id, encoded).
 */
import type { Generated, Kysely, Transaction } from 'kysely';
import type { Database, PlexusTables } from '../db/database.js';
import { decodeCursor, encodeCursor } from '../pagination/cursor.js';
import { SettingsError } from '../settings/errors.js';
import type { SettingsTables } from '../settings/repository.js';
import type { JsonValue } from '../settings/types.js';

type AuditRow = {
  id: Generated<number>;
  flag: string;
  at: number;
  actor: string;
  action: string;
  before: string | null;
  after: string | null;
};

type AuditTables = { flag_audit: AuditRow };

export type AuditAction = 'create' | 'update' | 'delete';

export interface AuditEntry {
  flag: string;
  /** Epoch milliseconds. */
  at: number;
  actor: string;
  action: AuditAction;
  /** The definition before and after (null when absent), with its version. */
  before: { version: number; definition: JsonValue } | null;
  after: { version: number; definition: JsonValue } | null;
}

export interface AuditPage {
  items: AuditEntry[];
  next: string | null;
}

export const MAX_AUDIT_PAGE = 200;

export class FlagAudit {
  readonly #db: Kysely<PlexusTables & AuditTables>;

  constructor(db: Database) {
    this.#db = db.kysely.withTables<AuditTables>();
  }

  async record(trx: Transaction<SettingsTables>, entry: AuditEntry): Promise<void> {
    await trx
      .withTables<AuditTables>()
      .insertInto('flag_audit')
      .values({
        flag: entry.flag,
        at: entry.at,
        actor: entry.actor,
        action: entry.action,
        before: entry.before === null ? null : JSON.stringify(entry.before),
        after: entry.after === null ? null : JSON.stringify(entry.after),
      })
      .execute();
  }

  async page(flag: string, cursor: string | undefined, limit: number): Promise<AuditPage> {
    let query = this.#db.selectFrom('flag_audit').selectAll().where('flag', '=', flag);
    if (cursor !== undefined) query = query.where('id', '<', decodeIdCursor(cursor));
    const rows = await query
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    return {
      items: page.map((row) => ({
        flag: row.flag,
        at: Number(row.at),
        actor: row.actor,
        action: row.action as AuditAction,
        before: row.before === null ? null : (JSON.parse(row.before) as AuditEntry['before']),
        after: row.after === null ? null : (JSON.parse(row.after) as AuditEntry['after']),
      })),
      next: more ? encodeCursor({ i: Number(page.at(-1)!.id) }) : null,
    };
  }
}

const isIdPosition = (position: unknown): position is { i: number } =>
  typeof position === 'object' && position !== null && Number.isSafeInteger((position as { i?: unknown }).i);

function decodeIdCursor(cursor: string): number {
  const position = decodeCursor(cursor, isIdPosition);
  if (position === undefined) {
    throw new SettingsError('SETTINGS_INVALID', 'The cursor is not one this server gave out');
  }
  return position.i;
}
