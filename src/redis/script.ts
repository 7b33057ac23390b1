/**
 * Lua scripts: each lives in `lua/<name>.lua` with a header comment listing its KEYS and ARGV, and
 * has a JavaScript twin that gives the same result on the in-process `MemoryStore` (JavaScript runs
 * it synchronously, which is as atomic as Lua on Redis). test/conformance/scripts.test.ts runs
 * every script on both and compares.
 *
 * A script is read from disk and hashed once, when first defined. `RedisStore` runs it with
 * EVALSHA and falls back to EVAL when a node answers NOSCRIPT (a new node, a restart, a failover),
 * which also loads it there; so each node loads a script once.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MemoryData } from './memory/data.js';

/** What Redis returns from a script: Lua tables become arrays, true becomes 1, false/nil null. */
export type ScriptReply = string | number | null | ScriptReply[];

export type LocalScript = (data: MemoryData, keys: readonly string[], args: readonly string[]) => ScriptReply;

export interface Script {
  readonly name: string;
  readonly source: string;
  readonly sha1: string;
  readonly numberOfKeys: number;
  readonly local: LocalScript;
}

// From src/redis/ (run through tsx) the folder is two levels up; from dist/src/redis/, three.
const LUA_DIR = ['../../lua/', '../../../lua/']
  .map((relative) => fileURLToPath(new URL(relative, import.meta.url)))
  .find((dir) => existsSync(dir));

/**
 * Defines a script from `lua/<name>.lua`. `numberOfKeys` is checked on every call so a wrong call
 * fails fast instead of reading the wrong key on Cluster.
 */
export function defineScript(name: string, numberOfKeys: number, local: LocalScript): Script {
  const source = readLuaSource(name);
  const sha1 = createHash('sha1').update(source).digest('hex');
  return Object.freeze({ name, source, sha1, numberOfKeys, local });
}

/** The text of `lua/<name>.lua`. */
export function readLuaSource(name: string): string {
  if (LUA_DIR === undefined) throw new Error('The lua/ folder of the plexus package is missing');
  return readFileSync(`${LUA_DIR}${name}.lua`, 'utf8');
}
