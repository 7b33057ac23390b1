/**
 * Writes that could not reach Redis, to be replayed when it is back.
 *
 * While Redis is down, `set`, `delete`, `deleteByTag` and `clear` change only this instance's L1:
 * L2 and other instances keep the old values. When Redis returns, each recorded operation is
 * replayed as a deletion in L2 plus an invalidation message, so nobody keeps serving a value this
 * instance replaced or removed. Replaying a set as a delete is deliberate: by then the value may be
 * outdated, and the next read reloads it from the source. A later write of the same key that
 * reaches Redis supersedes its record (`settled`). The journal is bounded: past MAX_KEYS keys in
 * a namespace it records a clear of that namespace instead.
 *
 * The same holds when only part of Redis failed (one Cluster shard) and the layer stayed `ready`:
 * the writer then retries the replay on a timer (writes.ts).
 */
import type { InvalidationOp } from './invalidation.js';

const MAX_KEYS = 10_000;

export class Journal {
  #all = false;
  readonly #cleared = new Set<string>();
  readonly #keys = new Map<string, Set<string>>();
  readonly #tags = new Map<string, Set<string>>();

  get empty(): boolean {
    return !this.#all && this.#cleared.size === 0 && this.#keys.size === 0 && this.#tags.size === 0;
  }

  record(op: InvalidationOp): void {
    if ('a' in op) {
      this.#all = true;
    } else if ('c' in op) {
      this.#cleared.add(op.n);
    } else if ('g' in op) {
      addAll(this.#tags, op.n, op.g);
    } else if (!this.#cleared.has(op.n)) {
      const keys = addAll(this.#keys, op.n, op.k);
      if (keys.size > MAX_KEYS) {
        this.#keys.delete(op.n);
        this.#cleared.add(op.n);
      }
    }
  }

  /** `keys` of namespace `ns` were written to Redis since they were recorded: nothing to replay. */
  settled(ns: string, keys: readonly string[]): void {
    const recorded = this.#keys.get(ns);
    if (recorded === undefined) return;
    for (const key of keys) recorded.delete(key);
    if (recorded.size === 0) this.#keys.delete(ns);
  }

  /** Everything recorded, as operations, and an empty journal. */
  drain(): InvalidationOp[] {
    const ops: InvalidationOp[] = [];
    if (this.#all) {
      ops.push({ a: 1 });
    } else {
      for (const n of this.#cleared) ops.push({ n, c: 1 });
      for (const [n, tags] of this.#tags) if (!this.#cleared.has(n)) ops.push({ n, g: [...tags] });
      for (const [n, keys] of this.#keys) if (!this.#cleared.has(n)) ops.push({ n, k: [...keys] });
    }
    this.#all = false;
    this.#cleared.clear();
    this.#keys.clear();
    this.#tags.clear();
    return ops;
  }
}

function addAll(map: Map<string, Set<string>>, ns: string, items: readonly string[]): Set<string> {
  let set = map.get(ns);
  if (set === undefined) {
    set = new Set();
    map.set(ns, set);
  }
  for (const item of items) set.add(item);
  return set;
}
