/**
 * L2: entries in a `Store` — Redis (single node, Sentinel, Cluster) in production, a MemoryStore
 * in tests that share one in-process L2 between several caches. Each entry is one binary string
 * (see envelope.ts) expiring after ttl + grace. Each tag is a set of entry keys that lives as long
 * as its longest-lived entry; deleting by tag drains the set in batches with SPOP, so entries
 * tagged while the delete runs are deleted too. Clearing SCANs every master (never KEYS) and
 * UNLINKs in batches. None of this needs several keys in one slot: on Cluster, entries and tags
 * spread over every shard.
 */
import type { Keys } from '../redis/keys.js';
import type { Store } from '../redis/store.js';
import { cacheTagAdd, cacheTagPop } from './scripts.js';

const BATCH = 500;

export class L2 {
  constructor(
    readonly store: Store,
    private readonly keys: Keys,
  ) {}

  get(ns: string, key: string): Promise<Buffer | null> {
    return this.store.getBuffer(this.keys.cache.entry(ns, key));
  }

  /** `lifetimeMs`: physical expiry (ttl + grace); Infinity for none. */
  async set(
    ns: string,
    key: string,
    data: Buffer,
    lifetimeMs: number,
    tags: readonly string[],
  ): Promise<void> {
    const entry = this.keys.cache.entry(ns, key);
    const finite = Number.isFinite(lifetimeMs);
    const writes: Promise<unknown>[] = [this.store.set(entry, data, finite ? { px: lifetimeMs } : {})];
    for (const tag of tags) {
      writes.push(
        this.store.runScript(cacheTagAdd, [this.keys.cache.tag(ns, tag)], [finite ? lifetimeMs : 0, entry]),
      );
    }
    await Promise.all(writes);
  }

  async delete(ns: string, keys: readonly string[]): Promise<number> {
    return this.store.unlink(keys.map((key) => this.keys.cache.entry(ns, key)));
  }

  async deleteByTags(ns: string, tags: readonly string[]): Promise<number> {
    let deleted = 0;
    for (const tag of tags) {
      const set = this.keys.cache.tag(ns, tag);
      for (;;) {
        const members = (await this.store.runScript(cacheTagPop, [set], [BATCH])) as string[] | null;
        if (members === null || members.length === 0) break;
        deleted += await this.store.unlink(members);
      }
    }
    return deleted;
  }

  /** Deletes the entries and tags of `ns` and its children, or of every namespace; counts entries. */
  async clear(ns?: string): Promise<number> {
    const entryPrefix = this.keys.cache.entry('', '').slice(0, -1);
    let deleted = 0;
    for await (const batch of this.store.scan(this.keys.cache.clearPattern(ns), BATCH)) {
      const entries = batch.filter((key) => key.startsWith(entryPrefix));
      const tags = batch.filter((key) => !key.startsWith(entryPrefix));
      const [removed] = await Promise.all([this.store.unlink(entries), this.store.unlink(tags)]);
      deleted += removed;
    }
    return deleted;
  }
}
