/**
 * The user → sessions index: one sorted set per user (`sess-user:<userId>`) of session ids, each
 * scored by the latest time that session can still exist. lua/session_index.lua prunes entries
 * past their score on every change and makes the set expire with its last entry, so the index
 * needs no cleanup job. How the score is kept ahead of the session: see session_load.lua.
 */
import type { Keys } from '../redis/keys.js';
import type { Store } from '../redis/store.js';
import { sessionIndex } from './scripts.js';

/** How often a session in use refreshes its index entry: a quarter of its lifetime. */
export function indexInterval(ttlMs: number): number {
  return Math.max(1000, Math.floor(ttlMs / 4));
}

export class UserIndex {
  constructor(
    private readonly store: Store,
    private readonly keys: Keys,
    private readonly now: () => number,
  ) {}

  /** Adds (or moves on) entries, each to exist until `score`. */
  add(userId: string, ids: readonly string[], score: number): Promise<void> {
    return this.#change(userId, 'add', ids, score);
  }

  remove(userId: string, ids: readonly string[]): Promise<void> {
    return this.#change(userId, 'remove', ids, 0);
  }

  /** Ids whose entries are still current (or, with `all`, every id listed). */
  ids(userId: string, all = false): Promise<string[]> {
    return this.store.zRangeByScore(
      this.keys.sessions.userIndex(userId),
      all ? Number.NEGATIVE_INFINITY : this.now(),
      Number.POSITIVE_INFINITY,
    );
  }

  async #change(userId: string, op: 'add' | 'remove', ids: readonly string[], score: number): Promise<void> {
    if (ids.length === 0) return;
    await this.store.runScript(
      sessionIndex,
      [this.keys.sessions.userIndex(userId)],
      [this.now(), op, score, ...ids],
    );
  }
}
