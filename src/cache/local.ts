/**
 * L1 as the read and write paths use it: the cache's in-process copies (`LocalCopies`, whose
 * trust policy is in src/coherence/copies.ts), when an entry may be served and when it may be
 * filled.
 *
 * - Served without asking L2: fresh, younger than the L1 TTL, and L1 trusted. While Redis cannot
 *   be asked, the read path answers from L1 alone, by TTL and grace: L1 is kept through an outage
 *   as the cache's fallback (`keepWhileUnreachable`), and dropped when Redis is back.
 * - Filled: from an L2 read only if the fill guard says nothing touched the key meanwhile; never
 *   with an L1 TTL of 0; while L2 is usable, only when trusted (reads go to L2 until then).
 * - Without L2 (memory mode) L1 is the whole cache: always trusted and filled, and the L1 TTL,
 *   which only bounds staleness against Redis, does not apply.
 */
import { LocalCopies } from '../coherence/copies.js';
import type { CacheConfig } from '../config/cache.js';
import type { DecodedEntry } from './envelope.js';
import type { InvalidationOp } from './invalidation.js';
import { L1, type L1Entry } from './l1.js';

export class LocalTier extends LocalCopies<InvalidationOp> {
  readonly l1: L1;
  /** The longest L1 TTL used so far: how long another instance may serve a copy unasked. */
  #longestL1Ttl: number;

  constructor(
    config: CacheConfig,
    /** No L2 at all: L1 is the whole cache. */
    private readonly alone: boolean,
    private readonly l2Usable: () => boolean,
  ) {
    super();
    this.l1 = new L1(config.l1MaxEntries, config.l1MaxBytes);
    this.#longestL1Ttl = config.l1TtlMs;
    if (alone) this.trust();
  }

  get longestL1Ttl(): number {
    return this.#longestL1Ttl;
  }

  /** The entry if it may be served without asking L2. */
  servable(entry: L1Entry | undefined, now: number): entry is L1Entry {
    return entry !== undefined && this.trusted && now < entry.freshUntil && now < entry.checkAt;
  }

  fill(ns: string, key: string, id: string, entry: DecodedEntry, l1Ttl: number): void {
    if (l1Ttl > this.#longestL1Ttl) this.#longestL1Ttl = l1Ttl;
    if (!this.alone && (l1Ttl <= 0 || (!this.trusted && this.l2Usable()))) return;
    this.l1.set(id, {
      ns,
      key,
      value: entry.value,
      bytes: entry.bytes + key.length,
      freshUntil: entry.freshUntil,
      staleUntil: entry.staleUntil,
      checkAt: this.alone ? Number.POSITIVE_INFINITY : Date.now() + l1Ttl,
      tags: entry.tags,
      seq: 0,
      gone: false,
    });
  }

  /** A write that does not fill L1 (warming) still must not leave an older copy behind. */
  fillOrDrop(ns: string, key: string, id: string, entry: DecodedEntry, l1Ttl: number, fill: boolean): void {
    this.guard.touch(id);
    if (fill || this.alone) this.fill(ns, key, id, entry, l1Ttl);
    else this.l1.delete(id);
  }

  protected drop(): void {
    this.l1.clear();
  }
}
