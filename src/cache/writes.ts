/**
 * The write path: set, delete, delete by tag, clear; invalidations received from other
 * instances; and the replay of writes that could not reach Redis.
 *
 * A value is encoded once; L1 keeps the decoded copy (what every other instance will read, so a
 * Date is a string everywhere, not a Date here and a string there); L2 gets the bytes; then the
 * invalidation is published. Writes that replace what others may hold and cannot reach Redis are
 * journaled (journal.ts) and replayed when the layer returns to `ready` or sees a failover; a write
 * that failed while the layer stayed `ready` (one Cluster shard down, no failover yet or ever) is
 * replayed by a retry timer instead, from REPLAY_RETRY_MS doubling to REPLAY_RETRY_MAX_MS, until it
 * goes through: no event would ever replay it otherwise.
 */
import type { EngineParts } from './engine.js';
import type { InvalidationOp } from './invalidation.js';
import { Journal } from './journal.js';
import { l1Key } from './l1.js';
import type { LocalTier } from './local.js';
import type { Waiters } from './lock.js';
import type { CacheCounterSet } from './stats.js';
import type { CacheCounters } from './types.js';
import type { EntryPolicy } from './validate.js';

/**
 * Why something is written. `replace` (set, delete, clear, refresh) changes what others may hold:
 * it is published, and journaled if Redis cannot be reached. `fill` stores a loader's value for a
 * miss: nobody holds a newer one, so it is not published — a message would only evict the copy
 * other instances just read. `locked-fill` is published to wake instances waiting on the lock.
 */
export type WriteKind = 'replace' | 'fill' | 'locked-fill';

/** First pause before a journal replay is retried while the layer is ready; it doubles up to the max. */
const REPLAY_RETRY_MS = 100;
const REPLAY_RETRY_MAX_MS = 1000;

export class CacheWriter {
  readonly journal = new Journal();
  #retryTimer: NodeJS.Timeout | undefined;
  #retryMs = REPLAY_RETRY_MS;
  #closed = false;

  constructor(
    private readonly parts: EngineParts,
    private readonly local: LocalTier,
    private readonly counters: CacheCounterSet,
    private readonly waiters: Waiters,
  ) {}

  async set(ns: string, key: string, value: unknown, policy: EntryPolicy): Promise<void> {
    this.counters.of(ns).sets++;
    await this.store(ns, key, value, policy, true, 'replace');
  }

  /** Encodes, fills (or drops) L1, writes L2 and publishes; returns the decoded copy. */
  async store(
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
    this.local.fillOrDrop(ns, key, id, entry, p.l1Ttl, fill);
    this.waiters.wake(id);
    const write = () => this.parts.l2!.set(ns, key, data, staleUntil - now, p.tags);
    await this.#apply({ n: ns, k: [key] }, this.counters.of(ns), write, kind);
    return entry.value;
  }

  async delete(ns: string, key: string): Promise<boolean> {
    const id = l1Key(ns, key);
    const c = this.counters.of(ns);
    c.deletes++;
    this.local.guard.touch(id);
    const local = this.local.l1.delete(id);
    const remote = await this.#apply({ n: ns, k: [key] }, c, () => this.parts.l2!.delete(ns, [key]));
    return local || (remote ?? 0) > 0;
  }

  async deleteByTag(ns: string, tags: readonly string[]): Promise<number> {
    this.local.guard.touchAll();
    const local = this.local.l1.deleteTagged(ns, tags);
    const c = this.counters.of(ns);
    c.deletes += local;
    const remote = await this.#apply({ n: ns, g: tags }, c, () => this.parts.l2!.deleteByTags(ns, tags));
    return remote ?? local;
  }

  /** Clears `ns` and its children, or everything when `ns` is undefined. */
  async clear(ns: string | undefined): Promise<number> {
    this.local.guard.touchAll();
    const local = this.local.l1.clear(ns);
    const op: InvalidationOp = ns === undefined ? { a: 1 } : { n: ns, c: 1 };
    const remote = await this.#apply(op, undefined, () => this.parts.l2!.clear(ns));
    return remote ?? local;
  }

  /** Applies operations received from another instance to L1 and wakes local lock waiters. */
  applyRemote(ops: readonly InvalidationOp[]): void {
    const { l1, guard } = this.local;
    for (const op of ops) {
      if ('k' in op) {
        for (const key of op.k) {
          const id = l1Key(op.n, key);
          guard.touch(id);
          l1.delete(id);
          this.waiters.wake(id);
        }
        continue;
      }
      guard.touchAll();
      if ('a' in op) l1.clear();
      else if ('c' in op) l1.clear(op.n);
      else l1.deleteTagged(op.n, op.g);
      const ns = 'a' in op ? undefined : op.n;
      this.waiters.wakeWhere((id) => ns === undefined || id.startsWith(l1Key(ns, '')));
    }
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
        this.#retryReplay();
        return;
      }
    }
    if (this.journal.empty) this.#retryMs = REPLAY_RETRY_MS;
  }

  /** Stops the replay retries (the cache is closing). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
  }

  /**
   * Replays again after a pause while L2 is usable: a return to `ready` replays by itself, but a
   * write that failed while the layer stayed ready has nothing else to replay it.
   */
  #retryReplay(): void {
    if (this.#retryTimer !== undefined || this.#closed || !this.parts.l2Usable()) return;
    const delay = this.#retryMs;
    this.#retryMs = Math.min(delay * 2, REPLAY_RETRY_MAX_MS);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (!this.journal.empty) void this.replayJournal();
    }, delay);
    this.#retryTimer.unref();
  }

  /**
   * Runs an L2 write and, unless it only filled a miss, publishes its invalidation; journals a
   * replacing write if Redis cannot be reached. Resolves to the L2 result, or undefined when L2
   * was not written.
   */
  async #apply<T>(
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
      if (journal && 'k' in op) this.journal.settled(op.n, op.k);
      if (kind !== 'fill') this.parts.publish(op);
      return result;
    } catch (error) {
      if (c !== undefined) c.l2Errors++;
      this.parts.logger.debug({ err: error }, 'cache L2 write failed; kept for replay');
      if (journal) {
        this.journal.record(op);
        this.#retryReplay();
      }
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
