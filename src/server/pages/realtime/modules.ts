/**
 * The ES modules the realtime pages load, served from this package: the realtime client
 * (src/realtime-client/) and the pages' own scripts (./browser/). A built package serves the
 * JavaScript that `tsc` wrote beside this file (dist/); running from source (tsx), the TypeScript is
 * transpiled on first request with esbuild, which is then installed (a devDependency that tsx
 * brings too). Only the files of those two folders are served, by name.
 */
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const NAME = /^[a-z0-9-]+\.js$/;

export class BrowserModules {
  readonly #dir: string;
  readonly #cache = new Map<string, Promise<string>>();
  #names: Map<string, string> | undefined;

  /** `dir`: a folder URL, e.g. `new URL('./browser/', import.meta.url)`. */
  constructor(dir: URL) {
    this.#dir = fileURLToPath(dir);
  }

  /** The module `name` (`client.js`) as browser JavaScript, or undefined when there is no such module. */
  source(name: string): Promise<string> | undefined {
    if (!NAME.test(name)) return undefined;
    const file = this.#files().get(name);
    if (file === undefined) return undefined;
    let cached = this.#cache.get(name);
    if (cached === undefined) {
      cached = load(file);
      cached.catch(() => this.#cache.delete(name));
      this.#cache.set(name, cached);
    }
    return cached;
  }

  /** Module name → file: `x.js` beside a built copy, or `x.ts` (not `.d.ts`) in the sources. */
  #files(): Map<string, string> {
    if (this.#names !== undefined) return this.#names;
    const names = new Map<string, string>();
    const entries = existsSync(this.#dir) ? readdirSync(this.#dir) : [];
    for (const entry of entries) {
      if (entry.endsWith('.d.ts')) continue;
      if (entry.endsWith('.js')) names.set(entry, `${this.#dir}/${entry}`);
      else if (entry.endsWith('.ts') && !entries.includes(entry.replace(/\.ts$/, '.js'))) {
        names.set(entry.replace(/\.ts$/, '.js'), `${this.#dir}/${entry}`);
      }
    }
    this.#names = names;
    return names;
  }
}

async function load(file: string): Promise<string> {
  const text = await readFile(file, 'utf8');
  if (file.endsWith('.js')) return text.replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n');
  const { transform } = await import('esbuild');
  const result = await transform(text, { loader: 'ts', format: 'esm', target: 'es2022', sourcefile: file });
  return result.code;
}
