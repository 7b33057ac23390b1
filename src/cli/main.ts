/**
 * Entry point of the `plexus` command (bin/plexus.js runs the built copy). Configuration errors
 * print one clear line and exit with EX_CONFIG (78); anything unexpected exits 1.
 */
import { PlexusError } from '../errors.js';
import { EXIT_CONFIG, EXIT_FAILURE } from './exit-codes.js';
import { buildProgram } from './program.js';

export async function main(argv: readonly string[] = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (error) {
    if (error instanceof PlexusError && error.code === 'PLEXUS_CONFIG_INVALID') {
      process.stderr.write(`plexus: ${error.message}\n`);
      process.exitCode = EXIT_CONFIG;
      return;
    }
    process.stderr.write(
      `plexus: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = EXIT_FAILURE;
  }
}

// Only when run directly (tsx src/cli/main.ts, or bin/plexus.js importing the built copy).
if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  await main();
}
