/**
 * Imports a roster CSV into the database: good rows are inserted, or renamed when the id exists
 * (token versions are kept, so re-importing never revokes a code); bad rows are skipped and
 * reported with their line and reason. Used by `plexus import` and `QRService.importRoster`.
 */
import type { QRRepository, UpsertCounts } from '../db/repository.js';
import type { SubjectType } from '../tokens/types.js';
import { parseRoster, type SkippedRow } from './roster.js';

export interface RosterImportReport extends UpsertCounts {
  /** Data rows read (blank lines aside). */
  rows: number;
  /** Inserted plus updated. */
  imported: number;
  skipped: SkippedRow[];
}

export interface ImportOptions {
  /** Validate only; write nothing. */
  dryRun?: boolean;
}

export async function importRoster(
  repository: QRRepository,
  type: SubjectType,
  csv: string,
  options: ImportOptions = {},
): Promise<RosterImportReport> {
  const { rows, skipped } = parseRoster(csv, type);
  const counts = options.dryRun
    ? { inserted: 0, updated: 0, unchanged: 0 }
    : await repository.upsert(type, rows);
  return {
    rows: rows.length + skipped.length,
    imported: counts.inserted + counts.updated,
    ...counts,
    skipped,
  };
}
