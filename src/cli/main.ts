/**
 * Runs the `plexus` command over a catalogue of applications (src/main.ts passes the bundled ones;
 * bin/plexus.js runs its built copy). Configuration errors print one clear line and exit with
 * EX_CONFIG (78); anything unexpected exits 1.
 */
import type { AnyAppDefinition } from '../application/definition.js';
import { PlexusError } from '../errors.js';
import { EXIT_CONFIG, EXIT_FAILURE } from './exit-codes.js';
import { buildProgram } from './program.js';

/** How long a finished command may take to end by itself before it is ended. */
const EXIT_GRACE_MS = 1000;

export async function main(
  argv: readonly string[] = process.argv,
  catalogue: readonly AnyAppDefinition[] = [],
): Promise<void> {
  try {
    await buildProgram(catalogue).parseAsync([...argv]);
  } catch (error) {
    if (error instanceof PlexusError && error.code === 'PLEXUS_CONFIG_INVALID') {
      process.stderr.write(`plexus: ${error.message}\n`);
      process.exitCode = EXIT_CONFIG;
    } else {
      const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
      process.stderr.write(`plexus: ${detail}\n`);
      process.exitCode = EXIT_FAILURE;
    }
  }
  // Everything the command opened is closed by now, so the process normally ends by itself; an
  // IPC channel (cluster or PM2 worker) or a handle some library leaked must not keep it alive.
  if (process.connected) process.disconnect();
  setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
}
