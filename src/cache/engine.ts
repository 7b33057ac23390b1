/**
 * The read and write paths shared by every namespace of one cache instance.
 *
 * Read: L1 (fresh and younger than the L1 TTL) → L2 → loader. Concurrent misses for one key in
 * this process share one load (`#flights`); with `lock: true` one load runs across the cluster
 * (lock.ts). When Redis is unusable (memory mode, degraded, or a call failed) L1 answers alone:
 * its entries then count as fresh until their TTL, regardless of the L1 TTL, and within grace as
 * stale. Redis errors are counted and logged, never thrown.
 *
 * Write: the value is encoded once; L1 keeps the decoded copy (what every other instance will read,
 * so a Date is a string everywhere, not a Date here and a string there); L2 gets the bytes; then an
 * invalidation is published. Explicit writes that cannot reach Redis are journaled for replay.
 */
import type { CacheConfig } from '../config/cache.js';
import type { Logger } from '../logger.js';
import type { Keys } from '../redis/keys.js';
import type { DecodedEntry, EntryCodec } from './envelope.js';
import { CacheSerializationError } from './errors.js';
import { FillGuard } from './fill-guard.js';
import type { InvalidationOp } from './invalidation.js';
import { Journal } from './journal.js';
import { L1, type L1Entry, l1Key } from './l1.js';
import type { L2 } from './l2.js';
import { ClusterLock, FIRST_POLL_MS, MAX_POLL_MS, Waiters } from './lock.js';
import { CacheCounterSet } from './stats.js';
import type { CacheCounters, Loader } from './types.js';
import type { EntryPolicy } from './validate.js';

/** What an L2 read found: `ok` false when Redis failed; `clean` when L1 may be filled from it. */
type L2Read = { ok: false } | { ok: true; entry: DecodedEntry | undefined; clean: boolean };

interface Held {
  value: unknown;
}

/**
 * Why something is written. `replace` (set, delete, clear, refresh) changes what others may hold:
 * it is published, and journaled if Redis cannot be reached. `fill` stores a loader's value for a
 * miss: nobody holds a newer one, so it is not published — a message would only evict the copy
 * other instances just read. `locked-fill` is published to wake instances waiting on the lock.
 */
type WriteKind = 'replace' | 'fill' | 'locked-fill';

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
  readonly l1: L1;
  readonly counters = new CacheCounterSet();
  readonly guard = new FillGuard();
  readonly waiters = new Waiters();
  readonly journal = new Journal();
  readonly #flights = new Map<string, Promise<unknown>>();
  #trusted = true;

  constructor(private readonly parts: EngineParts) {
    this.l1 = new L1(parts.config.l1MaxEntries, parts.config.l1MaxBytes);
  }

  async get(ns: string, key: string, policy: EntryPolicy): Promise<unknown> {
    const id = l1Key(ns, key);
    const c = this.counters.of(ns);
    const cached = this.l1.get(id, Date.now());
    if (cached !== undefined && this.#trusted && servable(cached, Date.now())) {
      c.l1Hits++;
      return cached.value;
    }
    if (this.parts.l2Usable()) {
      const read = await this.#readL2(ns, key, id, c);
      if (read.ok) {
        const entry = read.entry;
        if (entry !== undefined && Date.now() < entry.freshUntil) {
          c.l2Hits++;
          if (read.clean) this.#fill(ns, key, id, entry, policy.l1Ttl);
          return entry.value;
        }
        c.misses++;
        return undefined;
      }
    }
    return this.#fromL1Alone(cached, c, true)?.value;
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
    const cached = this.l1.get(id, Date.now());
    if (cached !== undefined && this.#trusted && servable(cached, Date.now())) {
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

  /**
   * Calls the loader and stores its value without looking anything up (warming with `refresh`):
   * it replaces what other instances may hold, so it is published like a `set`.
   */
  reload(ns: string, key: string, loader: Loader<unknown>, policy: EntryPolicy): Promise<unknown> {
    return this.#load(ns, key, loader, policy, undefined, this.counters.of(ns), false, 'replace');
  }

  async set(ns: string, key: string, value: unknown, policy: EntryPolicy): Promise<void> {
    this.counters.of(ns).sets++;
    await this.#store(ns, key, value, policy, true, 'replace');
  }

  async delete(ns: string, key: string): Promise<boolean> {
    const id = l1Key(ns, key);
    const c = this.counters.of(ns);
    c.deletes++;
    this.guard.touch(id);
    const local = this.l1.delete(id);
    const remote = await this.#applyWrite({ n: ns, k: [key] }, c, () => this.parts.l2!.delete(ns, [key]));
    return local || (remote ?? 0) > 0;
  }

  async deleteByTag(ns: string, tags: readonly string[]): Promise<number> {
    this.guard.touchAll();
    const local = this.l1.deleteTagged(ns, tags);
    const c = this.counters.of(ns);
    c.deletes += local;
    const remote = await this.#applyWrite({ n: ns, g: tags }, c, () => this.parts.l2!.deleteByTags(ns, tags));
    return remote ?? local;
  }

  /** Clears `ns` and its children, or everything when `ns` is undefined. */
  async clear(ns: string | undefined): Promise<number> {
    this.guard.touchAll();
    const local = this.l1.clear(ns);
    const op: InvalidationOp = ns === undefined ? { a: 1 } : { n: ns, c: 1 };
    const remote = await this.#applyWrite(op, undefined, () => this.parts.l2!.clear(ns));
    return remote ?? local;
  }

  /** Applies operations received from another instance to L1 and wakes local lock waiters. */
  applyRemote(ops: readonly InvalidationOp[]): void {
    for (const op of ops) {
      if ('k' in op) {
        for (const key of op.k) {
          const id = l1Key(op.n, key);
          this.guard.touch(id);
          this.l1.delete(id);
          this.waiters.wake(id);
        }
        continue;
      }
      this.guard.touchAll();
      if ('a' in op) this.l1.clear();
      else if ('c' in op) this.l1.clear(op.n);
      else this.l1.deleteTagged(op.n, op.g);
      const ns = 'a' in op ? undefined : op.n;
      this.waiters.wakeWhere((id) => ns === undefined || id.startsWith(l1Key(ns, '')));
    }
  }

  /**
   * Stops serving and filling L1 while L2 is usable, and drops it: invalidations may have been
   * missed (Redis was unreachable, or this instance's subscription is not confirmed yet). In the
   * meantime reads go to L2; if Redis fails again, L1 works alone as usual.
   */
  distrustL1(): void {
    this.#trusted = false;
    this.guard.touchAll();
    this.l1.clear();
  }

  /** The subscription is confirmed live: L1 can be used again (starting empty). */
  trustL1(): void {
    this.guard.touchAll();
    this.l1.clear();
    this.#trusted = true;
  }

  /** Replays the journal: deletes in L2 and publishes what could not reach Redis earlier. */
  async replayJournal(): Promise<void> {
    const ops = this.journal.drain();
    for (const [i, op] of ops.entries()) {
      try {
        await this.#removeFromL2(op);
        this.parts.publish(op);
      } catch (error) {
        this.parts.logger.debug({ err: error }, 'cache journal replay interrupted; kept for next time');
        for (const rest of ops.slice(i)) this.journal.record(rest);
        return;
      }
    }
  }

  close(): void {
    this.l1.close();
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
          if (read.clean && fill) this.#fill(ns, key, id, entry, policy.l1Ttl);
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
    return this.#store(ns, key, value, policy, fill, kind);
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
      await this.waiters.wait(id, Math.min(poll, left));
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
    if (read.clean && fill) this.#fill(ns, key, id, read.entry, policy.l1Ttl);
    return read.entry;
  }

  async #readL2(ns: string, key: string, id: string, c: CacheCounters): Promise<L2Read> {
    const started = this.guard.begin();
    let data: Buffer | null;
    try {
      data = await this.parts.l2!.get(ns, key);
    } catch (error) {
      this.guard.end(id, started);
      c.l2Errors++;
      this.parts.logger.debug({ err: error, ns, key }, 'cache L2 read failed; using L1 and the loader');
      return { ok: false };
    }
    const clean = this.guard.end(id, started);
    if (data === null) return { ok: true, entry: undefined, clean };
    try {
      return { ok: true, entry: this.parts.codec.decode(data), clean };
    } catch (error) {
      c.l2Errors++;
      this.parts.logger.warn({ err: error, ns, key }, 'cache entry in Redis cannot be decoded; reloading it');
      return { ok: true, entry: undefined, clean };
    }
  }

  #fill(ns: string, key: string, id: string, entry: DecodedEntry, l1Ttl: number): void {
    // Without L2 (memory mode) L1 is the whole cache: the L1 TTL, which bounds staleness against
    // Redis, does not apply.
    const alone = this.parts.l2 === undefined;
    if (!alone && (l1Ttl <= 0 || (!this.#trusted && this.parts.l2Usable()))) return;
    this.l1.set(id, {
      ns,
      key,
      value: entry.value,
      bytes: entry.bytes + key.length,
      freshUntil: entry.freshUntil,
      staleUntil: entry.staleUntil,
      checkAt: alone ? Number.POSITIVE_INFINITY : Date.now() + l1Ttl,
      tags: entry.tags,
    });
  }

  /** Encodes, fills L1, writes L2 and publishes; returns the decoded copy. */
  async #store(
    ns: string,
    key: string,
    value: unknown,
    p: EntryPolicy,
    fill: boolean,
    kind: WriteKind,
  ): Promise<unknown> {
    const now = Date.now();
    const freshUntil = now + p.ttl;
    const staleUntil = freshUntil + p.grace;
    const data = this.parts.codec.encode(value, freshUntil, staleUntil, p.tags);
    const entry = this.parts.codec.decode(data);
    const id = l1Key(ns, key);
    this.guard.touch(id);
    // Without L2, L1 is the whole cache: even warming must fill it.
    if (fill || this.parts.l2 === undefined) this.#fill(ns, key, id, entry, p.l1Ttl);
    else this.l1.delete(id);
    this.waiters.wake(id);
    const lifetime = staleUntil - now;
    const write = () => this.parts.l2!.set(ns, key, data, lifetime, p.tags);
    await this.#applyWrite({ n: ns, k: [key] }, this.counters.of(ns), write, kind);
    return entry.value;
  }

  /**
   * Runs an L2 write and, unless it only filled a miss, publishes its invalidation; journals a
   * replacing write if Redis cannot be reached. Returns the L2 result, or undefined when L2 was not
   * written.
   */
  async #applyWrite<T>(
    op: InvalidationOp,
    c: CacheCounters | undefined,
    write: () => Promise<T>,
    kind: WriteKind = 'replace',
  ): Promise<T | undefined> {
    const journal = kind === 'replace';
    if (this.parts.l2 === undefined) return undefined;
    if (!this.parts.l2Usable()) {
      if (journal) this.journal.record(op);
      return undefined;
    }
    try {
      const result = await write();
      if (kind !== 'fill') this.parts.publish(op);
      return result;
    } catch (error) {
      if (c !== undefined) c.l2Errors++;
      this.parts.logger.debug({ err: error }, 'cache L2 write failed; kept for replay');
      if (journal) this.journal.record(op);
      return undefined;
    }
  }

  async #removeFromL2(op: InvalidationOp): Promise<void> {
    const l2 = this.parts.l2!;
    if ('a' in op) await l2.clear();
    else if ('c' in op) await l2.clear(op.n);
    else if ('g' in op) await l2.deleteByTags(op.n, op.g);
    else await l2.delete(op.n, op.k);
  }
}

function servable(entry: L1Entry, now: number): boolean {
  return now < entry.freshUntil && now < entry.checkAt;
}
