/**
 * The reference server's command line: `plexus` with the bundled applications (src/apps/index.ts),
 * which `plexus start` installs unless PLEXUS_APPS chooses. bin/plexus.js runs the built copy.
 */
import { bundledApps } from './apps/index.js';
import { main } from './cli/main.js';

export function run(argv: readonly string[] = process.argv): Promise<void> {
  return main(argv, bundledApps);
}

// Only when run directly (tsx src/main.ts, or bin/plexus.js importing the built copy).
if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  await run();
}
