/**
 * The read path shared by every namespace of one cache instance: L1 (local.ts) → L2 → loader.
 *
 * Concurrent misses for one key in this process share one load (`#flights`); with `lock: true`
 * one load runs across the cluster (lock.ts). When Redis is unusable (memory mode, degraded, or a
 * call failed) L1 answers alone: its entries then count as fresh until their TTL, whatever the L1
 * TTL, and as stale within grace. A loader failure is answered with a stale value within grace
 * when there is one. Redis errors are counted and logged, never thrown. Loaded values are stored
 * by the write path (writes.ts).
 */
import type { CacheConfig } from '../config/cache.js';
import type { Logger } from '../logger.js';
import type { Keys } from '../redis/keys.js';
import { coarseNow, useCoarseClock } from './coarse-clock.js';
import type { DecodedEntry, EntryCodec } from './envelope.js';
import { CacheSerializationError } from './errors.js';
import type { InvalidationOp } from './invalidation.js';
import { type L1Entry, l1Key } from './l1.js';
import type { L2 } from './l2.js';
import { LocalTier } from './local.js';
import { ClusterLock, FIRST_POLL_MS, MAX_POLL_MS, Waiters } from './lock.js';
import { CacheCounterSet } from './stats.js';
import type { CacheCounters, Loader } from './types.js';
import type { EntryPolicy } from './validate.js';
import { CacheWriter, type WriteKind } from './writes.js';

/** What an L2 read found: `ok` false when Redis failed; `clean` when L1 may be filled from it. */
type L2Read = { ok: false } | { ok: true; entry: DecodedEntry | undefined; clean: boolean };

interface Held {
  value: unknown;
}

export interface EngineParts {
  config: CacheConfig;
  keys: Keys;
  l2: L2 | undefined;
  codec: EntryCodec;
  logger: Logger;
  /** True while L2 may be called (Redis ready, or an in-process L2). */
  l2Usable: () => boolean;
  /** Queues an invalidation for other instances. */
  publish: (op: InvalidationOp) => void;
}

export class CacheEngine {
  readonly counters = new CacheCounterSet();
  readonly local: LocalTier;
  readonly writer: CacheWriter;
  readonly #waiters = new Waiters();
  readonly #flights = new Map<string, Promise<unknown>>();

  constructor(private readonly parts: EngineParts) {
    this.local = new LocalTier(parts.config, parts.l2 === undefined, parts.l2Usable);
    this.writer = new CacheWriter(parts, this.local, this.counters, this.#waiters);
  }

  get(ns: string, key: string, policy: EntryPolicy): Promise<unknown> {
    const id = l1Key(ns, key);
    const c = this.counters.of(ns);
    const now = Date.now();
    const cached = this.local.l1.get(id, now);
    if (this.local.servable(cached, now)) {
      c.l1Hits++;
      return Promise.resolve(cached.value);
    }
    return this.#getBeyondL1(ns, key, id, policy, cached, c);
  }

  /** The value when L1 may serve it right now (counted as an L1 hit), else undefined. No I/O. */
  peek(ns: string, key: string): unknown {
    const now = Date.now();
    const cached = this.local.l1.get(l1Key(ns, key), now);
    if (!this.local.servable(cached, now)) return undefined;
    this.counters.of(ns).l1Hits++;
    return cached.value;
  }

  /**
   * `peek(ns, key)` for one key asked again and again (feature flags): the returned function keeps
   * the key's L1 entry object while L1 holds it (L1 marks it `gone` when it leaves, whatever the
   * reason) and applies the same checks as `peek` — trusted, fresh, within the L1 TTL — without
   * building or hashing the key again. Allocates nothing per call: the time is the coarse clock's
   * (within 20 ms of Date.now(), coarse-clock.ts).
   */
  peeker(ns: string, key: string): () => unknown {
    const id = l1Key(ns, key);
    const { local } = this;
    let held: L1Entry | undefined;
    useCoarseClock();
    return () => {
      const now = coarseNow;
      if (held === undefined || held.gone) {
        held = local.l1.get(id, now);
        if (held === undefined) return undefined;
      } else {
        local.l1.promote(id, held);
      }
      // local.servable(held, now), spelled out: passing `now` (not a small integer) to a call that
      // is not inlined would box it, an allocation per call (as Date.now() would: coarse-clock.ts).
      if (!local.trusted || now >= held.freshUntil || now >= held.checkAt) return undefined;
      this.counters.of(ns).l1Hits++;
      return held.value;
    };
  }

  getOrSet(
    ns: string,
    key: string,
    loader: Loader<unknown>,
    policy: EntryPolicy,
    fill = true,
  ): Promise<unknown> {
    const id = l1Key(ns, key);
    const c = this.counters.of(ns);
    const now = Date.now();
    const cached = this.local.l1.get(id, now);
    if (this.local.servable(cached, now)) {
      c.l1Hits++;
      return Promise.resolve(cached.value);
    }
    const flying = this.#flights.get(id);
    if (flying !== undefined) {
      c.coalesced++;
      return flying;
    }
    const flight = this.#resolve(ns, key, id, loader, policy, cached, c, fill);
    this.#flights.set(id, flight);
    const done = () => {
      if (this.#flights.get(id) === flight) this.#flights.delete(id);
    };
    flight.then(done, done);
    return flight;
  }

  async #getBeyondL1(
    ns: string,
    key: string,
    id: string,
    policy: EntryPolicy,
    cached: L1Entry | undefined,
    c: CacheCounters,
  ): Promise<unknown> {
    if (this.parts.l2Usable()) {
      const read = await this.#readL2(ns, key, id, c);
      if (read.ok) {
        const entry = read.entry;
        if (entry !== undefined && Date.now() < entry.freshUntil) {
          c.l2Hits++;
          if (read.clean) this.local.fill(ns, key, id, entry, policy.l1Ttl);
          return entry.value;
        }
        c.misses++;
        return undefined;
      }
    }
    return this.#fromL1Alone(cached, c, true)?.value;
  }

  /**
   * Calls the loader and stores its value without looking anything up (warming with `refresh`):
   * it replaces what other instances may hold, so it is published like a `set`.
   */
  reload(ns: string, key: string, loader: Loader<unknown>, policy: EntryPolicy): Promise<unknown> {
    return this.#load(ns, key, loader, policy, undefined, this.counters.of(ns), false, 'replace');
  }

  close(): void {
    this.writer.close();
    this.local.l1.close();
  }

  async #resolve(
    ns: string,
    key: string,
    id: string,
    loader: Loader<unknown>,
    policy: EntryPolicy,
    cached: L1Entry | undefined,
    c: CacheCounters,
    fill: boolean,
  ): Promise<unknown> {
    let stale: Held | undefined = cached;
    if (this.parts.l2Usable()) {
      const read = await this.#readL2(ns, key, id, c);
      if (read.ok) {
        const entry = read.entry;
        const now = Date.now();
        if (entry !== undefined && now < entry.freshUntil) {
          c.l2Hits++;
          if (read.clean && fill) this.local.fill(ns, key, id, entry, policy.l1Ttl);
          return entry.value;
        }
        // L2 is the reference: without an entry there, L1's copy was deleted or replaced elsewhere.
        stale = entry !== undefined && now < entry.staleUntil ? entry : undefined;
        c.misses++;
        return policy.lock
          ? this.#loadLocked(ns, key, id, loader, policy, stale, c, fill)
          : this.#load(ns, key, loader, policy, stale, c, fill);
      }
    }
    const held = this.#fromL1Alone(cached, c, false);
    if (held !== undefined) return held.value;
    c.misses++;
    return this.#load(ns, key, loader, policy, stale, c, fill);
  }

  /** L1's answer when Redis cannot be asked: fresh by TTL (L1 TTL ignored), or stale within grace. */
  #fromL1Alone(cached: L1Entry | undefined, c: CacheCounters, serveStale: boolean): Held | undefined {
    const now = Date.now();
    if (cached !== undefined && now < cached.freshUntil) {
      c.l1Hits++;
      return cached;
    }
    if (serveStale && cached !== undefined && now < cached.staleUntil) {
      c.staleServed++;
      return cached;
    }
    if (serveStale) c.misses++;
    return undefined;
  }

  async #load(
    ns: string,
    key: string,
    loader: Loader<unknown>,
    policy: EntryPolicy,
    stale: Held | undefined,
    c: CacheCounters,
    fill: boolean,
    kind: WriteKind = policy.lock ? 'locked-fill' : 'fill',
  ): Promise<unknown> {
    c.loaderCalls++;
    let value: unknown;
    try {
      value = await loader({ key, namespace: ns, stale: stale?.value });
    } catch (error) {
      c.loaderErrors++;
      if (stale === undefined) throw error;
      c.staleServed++;
      this.parts.logger.debug({ err: error, ns, key }, 'cache loader failed; serving the stale value');
      return stale.value;
    }
    if (value === undefined) {
      throw new CacheSerializationError('The loader returned undefined; return null to cache "nothing"');
    }
    return this.writer.store(ns, key, value, policy, fill, kind);
  }

  async #loadLocked(
    ns: string,
    key: string,
    id: string,
    loader: Loader<unknown>,
    policy: EntryPolicy,
    stale: Held | undefined,
    c: CacheCounters,
    fill: boolean,
  ): Promise<unknown> {
    const { config, keys, l2, logger } = this.parts;
    const lock = new ClusterLock(l2!.store, keys.cache.lock(ns, key), config.lockTtlMs, logger);
    const deadline = Date.now() + config.lockWaitMs;
    for (let poll = FIRST_POLL_MS; ; poll = Math.min(poll * 2, MAX_POLL_MS)) {
      let acquired: boolean;
      try {
        acquired = await lock.acquire();
      } catch {
        c.l2Errors++;
        return this.#load(ns, key, loader, policy, stale, c, fill);
      }
      if (acquired) {
        try {
          // The previous holder may have written the value between our miss and our lock.
          const found = await this.#freshFromL2(ns, key, id, policy, c, fill);
          if (found !== undefined && found !== null) return found.value;
          return await this.#load(ns, key, loader, policy, stale, c, fill);
        } finally {
          void lock.release();
        }
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        logger.warn({ ns, key, waitedMs: config.lockWaitMs }, 'cache lock holder too slow; loading here');
        return this.#load(ns, key, loader, policy, stale, c, fill);
      }
      await this.#waiters.wait(id, Math.min(poll, left));
      const found = await this.#freshFromL2(ns, key, id, policy, c, fill);
      if (found === null) return this.#load(ns, key, loader, policy, stale, c, fill);
      if (found !== undefined) return found.value;
    }
  }

  /** A fresh entry from L2 (filling L1), undefined if none, null if Redis failed. */
  async #freshFromL2(
    ns: string,
    key: string,
    id: string,
    policy: EntryPolicy,
    c: CacheCounters,
    fill: boolean,
  ): Promise<Held | undefined | null> {
    const read = await this.#readL2(ns, key, id, c);
    if (!read.ok) return null;
    if (read.entry === undefined || Date.now() >= read.entry.freshUntil) return undefined;
    if (read.clean && fill) this.local.fill(ns, key, id, read.entry, policy.l1Ttl);
    return read.entry;
  }

  async #readL2(ns: string, key: string, id: string, c: CacheCounters): Promise<L2Read> {
    const started = this.local.guard.begin();
    let data: Buffer | null;
    try {
      data = await this.parts.l2!.get(ns, key);
    } catch (error) {
      this.local.guard.end(id, started);
      c.l2Errors++;
      this.parts.logger.debug({ err: error, ns, key }, 'cache L2 read failed; using L1 and the loader');
      return { ok: false };
    }
    const clean = this.local.guard.end(id, started);
    if (data === null) return { ok: true, entry: undefined, clean };
    try {
      return { ok: true, entry: this.parts.codec.decode(data), clean };
    } catch (error) {
      c.l2Errors++;
      this.parts.logger.warn({ err: error, ns, key }, 'cache entry in Redis cannot be decoded; reloading it');
      return { ok: true, entry: undefined, clean };
    }
  }
}
