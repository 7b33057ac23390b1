/**
 * `plexus import students|stalls FILE.csv`: loads a roster into the configured database. The file
 * needs a header naming an id column (`id` or `student_id`/`stall_id`) and a name column (`name`,
 * `full_name` or `student_name`/`stall_name`). Good rows are imported (existing ids are renamed,
 * their codes stay valid); bad rows are skipped and listed with their line and reason.
 * `--dry-run` checks the file without writing. Only the database is needed, not Redis.
 * Exit codes: 0 every row imported, 1 some rows skipped or the file unusable, 78 bad configuration.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { AppCommand } from '../../../application/definition.js';
import { migrationsFor } from '../../../application/install.js';
import { type ConfigFlags, loadCliConfig, withConfigOptions } from '../../../cli/config.js';
import { EXIT_FAILURE, EXIT_OK } from '../../../cli/exit-codes.js';
import { Database } from '../../../db/database.js';
import { QRRepository } from '../db/repository.js';
import { QRImportError } from '../errors.js';
import { importRoster, type RosterImportReport } from '../import/importer.js';
import { qrMigrations } from '../migrations/index.js';
import type { SubjectType } from '../tokens/types.js';

interface ImportFlags extends ConfigFlags {
  dryRun?: boolean;
}

const KINDS: Record<string, SubjectType> = { students: 'student', stalls: 'stall' };

export interface ImportIO {
  out: { write(text: string): unknown };
  err: { write(text: string): unknown };
}

export const importCommand: AppCommand = (program) => {
  const command: Command = program
    .command('import')
    .description('Import a roster of students or stalls from a CSV file (header: id,name).')
    .argument('<kind>', 'students or stalls')
    .argument('<file>', 'CSV file, UTF-8, with a header line')
    .option('--dry-run', 'check the file and report, without writing to the database');
  withConfigOptions(command).action(async (kind: string, file: string, flags: ImportFlags) => {
    const type = KINDS[kind];
    if (type === undefined) {
      command.error(`plexus: import what? expected students or stalls, got ${JSON.stringify(kind)}`);
    }
    const { config } = loadCliConfig(flags);
    const db = new Database(config.db, { migrations: migrationsFor([{ migrations: qrMigrations }]) });
    try {
      if (flags.dryRun !== true) await db.open();
      process.exitCode = await runImport(new QRRepository(db), type, file, flags, {
        out: process.stdout,
        err: process.stderr,
      });
    } finally {
      await db.close();
    }
  });
};

/** The command on an open database; resolves to the exit code. */
export async function runImport(
  repository: QRRepository,
  type: SubjectType,
  file: string,
  flags: Pick<ImportFlags, 'dryRun'>,
  io: ImportIO,
): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    io.err.write(`plexus: cannot read ${file}: ${(error as Error).message}\n`);
    return EXIT_FAILURE;
  }
  let report: RosterImportReport;
  try {
    report = await importRoster(repository, type, text, { dryRun: flags.dryRun === true });
  } catch (error) {
    if (!(error instanceof QRImportError)) throw error;
    io.err.write(`plexus: ${file}: ${error.message}\n`);
    return EXIT_FAILURE;
  }
  io.out.write(summary(type, file, report, flags.dryRun === true));
  for (const row of report.skipped) {
    const id = row.id === undefined ? '' : ` (id ${JSON.stringify(row.id)})`;
    io.out.write(`  line ${row.line}${id}: ${row.reason}\n`);
  }
  return report.skipped.length === 0 ? EXIT_OK : EXIT_FAILURE;
}

function summary(type: SubjectType, file: string, r: RosterImportReport, dryRun: boolean): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const good = r.rows - r.skipped.length;
  if (dryRun)
    return `${file}: ${n(r.rows)} rows, ${n(good)} valid ${type}s, ${n(r.skipped.length)} would be skipped (dry run, nothing written)\n`;
  return (
    `${file}: ${n(r.rows)} rows: ${n(r.inserted)} ${type}s added, ${n(r.updated)} renamed, ` +
    `${n(r.unchanged)} unchanged, ${n(r.skipped.length)} skipped${r.skipped.length > 0 ? ':' : ''}\n`
  );
}
