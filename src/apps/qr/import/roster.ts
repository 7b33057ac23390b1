/**
 * Turns a roster CSV into rows to import and rows to skip, each skipped row with its line number
 * and the reason. The header names the columns (any order, case-insensitive): the id column is
 * `id` or `<kind>_id`, the name column `name`, `full_name` or `<kind>_name`; other columns are
 * ignored. A file without a usable header is refused as a whole (QR_IMPORT_INVALID).
 */

import { QRImportError } from '../errors.js';
import { SUBJECT_ID_PATTERN, type SubjectType } from '../tokens/types.js';
import { readCsv } from './csv.js';

export const MAX_NAME_LENGTH = 200;

export interface RosterRow {
  line: number;
  id: string;
  name: string;
}

export interface SkippedRow {
  line: number;
  /** The id as written, when the row had one. */
  id?: string;
  reason: string;
}

export interface Roster {
  rows: RosterRow[];
  skipped: SkippedRow[];
}

function findColumn(header: string[], names: string[]): number {
  const normalized = header.map((h) =>
    h
      .trim()
      .toLowerCase()
      .replace(/[\s-]+/g, '_'),
  );
  const found = normalized.findIndex((h) => names.includes(h));
  return found;
}

/** Control characters (C0, DEL, C1) never belong in a name; they usually mean a binary or mis-encoded file. */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

function checkName(name: string): string | undefined {
  if (name === '') return 'name is empty';
  if (name.length > MAX_NAME_LENGTH) return `name is longer than ${MAX_NAME_LENGTH} characters`;
  if (hasControlCharacter(name)) return 'name contains control characters';
  if (name.includes('\ufffd')) return 'name is not valid UTF-8';
  return undefined;
}

export function parseRoster(text: string, kind: SubjectType): Roster {
  const records = readCsv(text);
  const first = records.next();
  if (first.done) throw new QRImportError('the file is empty');
  if (first.value.fields === undefined) {
    throw new QRImportError(`the header (line ${first.value.line}) is not valid CSV: ${first.value.error}`);
  }
  const header = first.value.fields;
  const idColumn = findColumn(header, ['id', `${kind}_id`]);
  const nameColumn = findColumn(header, ['name', 'full_name', `${kind}_name`]);
  if (idColumn < 0 || nameColumn < 0) {
    throw new QRImportError(
      `the header must name an id column (id or ${kind}_id) and a name column (name, full_name or ${kind}_name); found: ${header.join(', ')}`,
    );
  }

  const rows: RosterRow[] = [];
  const skipped: SkippedRow[] = [];
  const seen = new Map<string, number>();
  for (const record of records) {
    if (record.fields === undefined) {
      skipped.push({ line: record.line, reason: `not valid CSV: ${record.error}` });
      continue;
    }
    const { line, fields } = record;
    const id = fields[idColumn]?.trim();
    if (fields.length !== header.length) {
      skipped.push({
        line,
        ...(id ? { id } : {}),
        reason: `expected ${header.length} fields, found ${fields.length}`,
      });
      continue;
    }
    const name = fields[nameColumn]!.trim();
    let reason: string | undefined;
    if (!id) reason = 'id is empty';
    else if (!SUBJECT_ID_PATTERN.test(id)) {
      reason = "id must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit";
    } else if (seen.has(id)) reason = `duplicate id, first on line ${seen.get(id)}`;
    else reason = checkName(name);
    if (reason !== undefined) {
      skipped.push({ line, ...(id ? { id } : {}), reason });
      continue;
    }
    seen.set(id!, line);
    rows.push({ line, id: id!, name });
  }
  return { rows, skipped };
}
