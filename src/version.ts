/** The version of the plexus package, from its package.json. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Found upward from this file: src/ when run from source, dist/src/ when built. */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'plexus' && pkg.version !== undefined) return pkg.version;
    } catch {
      // Not here: look one level up.
    }
    dir = dirname(dir);
  }
  return 'unknown';
}
