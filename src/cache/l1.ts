/**
 * L1: the in-process tier, one LRU per cache instance shared by its namespaces, bounded by entry
 * count and by bytes (the serialized size of each entry). A Map keeps insertion order: an entry
 * moved to the end when used makes the first entry the least recently used one. Moving costs a
 * delete and an insert, so a hit moves an entry only if a quarter of the capacity was inserted
 * since it last moved: an entry used at least that often never reaches the front, and hits on a
 * hot set cost one Map lookup.
 *
 * Entries hold decoded values, returned by reference: callers must treat them as read-only.
 * An entry past its `checkAt` (the L1 TTL) is not served while Redis is reachable, but is kept
 * until `staleUntil`, so that it can still answer while Redis is down (fresh until `freshUntil`,
 * then stale within grace).
 */

export interface L1Entry {
  readonly ns: string;
  readonly key: string;
  readonly value: unknown;
  readonly bytes: number;
  readonly freshUntil: number;
  /** After this the entry may not be served at all (freshUntil + grace). */
  readonly staleUntil: number;
  /** After this, Redis is asked again when it is reachable (the L1 TTL). */
  readonly checkAt: number;
  readonly tags: readonly string[];
  /** Insertion sequence number, maintained by L1. */
  seq: number;
  /**
   * Set by L1 when the entry leaves it (invalidated, replaced, evicted, expired, cleared), so that a
   * holder of the object (`CacheEngine.peeker`) knows without looking it up again.
   */
  gone: boolean;
}

interface Usage {
  entries: number;
  bytes: number;
}

/** Separates namespace and key in L1's map; namespaces never contain it. */
const SEPARATOR = '\u0000';
const SWEEP_INTERVAL_MS = 30_000;

export function l1Key(ns: string, key: string): string {
  return ns + SEPARATOR + key;
}

export class L1 {
  readonly #entries = new Map<string, L1Entry>();
  readonly #usage = new Map<string, Usage>();
  #bytes = 0;
  #seq = 0;
  readonly #promoteAfter: number;
  readonly #sweeper: NodeJS.Timeout;

  constructor(
    readonly maxEntries: number,
    readonly maxBytes: number,
  ) {
    this.#promoteAfter = Math.floor(maxEntries / 4);
    this.#sweeper = setInterval(() => this.sweep(Date.now()), SWEEP_INTERVAL_MS);
    this.#sweeper.unref();
  }

  get enabled(): boolean {
    return this.maxEntries > 0 && this.maxBytes > 0;
  }

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  usage(ns: string): Usage {
    return this.#usage.get(ns) ?? { entries: 0, bytes: 0 };
  }

  namespaces(): IterableIterator<string> {
    return this.#usage.keys();
  }

  /** The entry, whatever its age, marked as recently used; dropped if past `staleUntil`. */
  get(id: string, now: number): L1Entry | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    if (now >= entry.staleUntil) {
      this.#remove(id, entry);
      return undefined;
    }
    this.promote(id, entry);
    return entry;
  }

  /** Marks an entry read through a held reference as recently used (as `get` does). */
  promote(id: string, entry: L1Entry): void {
    if (this.#seq - entry.seq > this.#promoteAfter) {
      this.#entries.delete(id);
      this.#entries.set(id, entry);
      entry.seq = ++this.#seq;
    }
  }

  set(id: string, entry: L1Entry): void {
    const previous = this.#entries.get(id);
    if (previous !== undefined) this.#remove(id, previous);
    if (!this.enabled || entry.bytes > this.maxBytes) {
      entry.gone = true;
      return;
    }
    entry.seq = ++this.#seq;
    this.#entries.set(id, entry);
    this.#account(entry.ns, 1, entry.bytes);
    while (this.#entries.size > this.maxEntries || this.#bytes > this.maxBytes) {
      const [oldestId, oldest] = this.#entries.entries().next().value as [string, L1Entry];
      this.#remove(oldestId, oldest);
    }
  }

  delete(id: string): boolean {
    const entry = this.#entries.get(id);
    if (entry === undefined) return false;
    this.#remove(id, entry);
    return true;
  }

  /** Drops every entry of `ns` and of its children (`ns/...`); every entry when `ns` is undefined. */
  clear(ns?: string): number {
    if (ns === undefined) {
      const count = this.#entries.size;
      for (const entry of this.#entries.values()) entry.gone = true;
      this.#entries.clear();
      this.#usage.clear();
      this.#bytes = 0;
      return count;
    }
    const child = `${ns}/`;
    return this.#removeWhere((e) => e.ns === ns || e.ns.startsWith(child));
  }

  /** Drops the entries of exactly `ns` that carry any of `tags`. */
  deleteTagged(ns: string, tags: readonly string[]): number {
    return this.#removeWhere((e) => e.ns === ns && e.tags.some((t) => tags.includes(t)));
  }

  /** Drops entries past `staleUntil` (also done on access and by a timer). */
  sweep(now: number): number {
    return this.#removeWhere((e) => now >= e.staleUntil);
  }

  close(): void {
    clearInterval(this.#sweeper);
    this.clear();
  }

  #removeWhere(match: (entry: L1Entry) => boolean): number {
    let removed = 0;
    for (const [id, entry] of this.#entries) {
      if (match(entry)) {
        this.#remove(id, entry);
        removed++;
      }
    }
    return removed;
  }

  #remove(id: string, entry: L1Entry): void {
    entry.gone = true;
    this.#entries.delete(id);
    this.#account(entry.ns, -1, -entry.bytes);
  }

  #account(ns: string, entries: number, bytes: number): void {
    this.#bytes += bytes;
    const usage = this.#usage.get(ns);
    if (usage === undefined) {
      this.#usage.set(ns, { entries, bytes });
    } else {
      usage.entries += entries;
      usage.bytes += bytes;
      if (usage.entries === 0) this.#usage.delete(ns);
    }
  }
}
