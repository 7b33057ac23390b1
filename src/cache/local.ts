/**
 * L1 as the read and write paths use it: when an entry may be served, when it may be filled, and
 * when L1 is not to be trusted at all.
 *
 * - Served: fresh, younger than the L1 TTL, and L1 trusted. (When Redis cannot be asked, the read
 *   path uses L1 entries directly, by TTL and grace.)
 * - Filled: from an L2 read only if the fill guard says nothing touched the key meanwhile; never
 *   with an L1 TTL of 0; never while L1 is distrusted and L2 is usable (reads go to L2 then).
 * - Distrusted: after a recovery, until this instance's subscription is confirmed, because
 *   invalidations may have been missed. Without L2 (memory mode) L1 is the whole cache: it is
 *   always filled and the L1 TTL, which only bounds staleness against Redis, does not apply.
 */

import { FillGuard } from '../coherence/fill-guard.js';
import type { CacheConfig } from '../config/cache.js';
import type { DecodedEntry } from './envelope.js';
import { L1, type L1Entry } from './l1.js';

export class LocalTier {
  readonly l1: L1;
  readonly guard = new FillGuard();
  #trusted = true;

  constructor(
    config: CacheConfig,
    /** No L2 at all: L1 is the whole cache. */
    private readonly alone: boolean,
    private readonly l2Usable: () => boolean,
  ) {
    this.l1 = new L1(config.l1MaxEntries, config.l1MaxBytes);
  }

  /** The entry if it may be served without asking L2. */
  servable(entry: L1Entry | undefined, now: number): entry is L1Entry {
    return entry !== undefined && this.#trusted && now < entry.freshUntil && now < entry.checkAt;
  }

  fill(ns: string, key: string, id: string, entry: DecodedEntry, l1Ttl: number): void {
    if (!this.alone && (l1Ttl <= 0 || (!this.#trusted && this.l2Usable()))) return;
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
    });
  }

  /** A write that does not fill L1 (warming) still must not leave an older copy behind. */
  fillOrDrop(ns: string, key: string, id: string, entry: DecodedEntry, l1Ttl: number, fill: boolean): void {
    this.guard.touch(id);
    if (fill || this.alone) this.fill(ns, key, id, entry, l1Ttl);
    else this.l1.delete(id);
  }

  /** Stops serving and filling L1 while L2 is usable, and drops it. */
  distrust(): void {
    this.#trusted = false;
    this.guard.touchAll();
    this.l1.clear();
  }

  /** The subscription is confirmed live: L1 is used again, starting empty. */
  trust(): void {
    this.guard.touchAll();
    this.l1.clear();
    this.#trusted = true;
  }
}
