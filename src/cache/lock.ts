/**
 * Cluster-wide single-flight for `getOrSet(..., { lock: true })`.
 *
 * The lock is `<prefix>:cache:l:<ns>:<key>` = a random owner token, taken with SET NX PX
 * CACHE_LOCK_TTL_MS, renewed every third of that while the loader runs (compare-and-pexpire) and
 * released with compare-and-delete, so an instance whose lock expired can neither renew nor delete
 * the next holder's. An instance that does not get the lock waits: the holder writes the value to
 * L2 and publishes an invalidation for the key, which wakes the waiters (`Waiters`); they also poll
 * with back-off (20 ms doubling to 250 ms), so a lost message costs a few ms, and a dead holder's
 * lock expiring lets the next poll take it over. Waiting ends after CACHE_LOCK_WAIT_MS: the waiter
 * then calls its own loader rather than hang behind a holder that is alive but stuck.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../logger.js';
import { releaseIfHeld, renewIfHeld } from '../redis/scripts.js';
import type { Store } from '../redis/store.js';

export const FIRST_POLL_MS = 20;
export const MAX_POLL_MS = 250;

export class ClusterLock {
  readonly #token = randomBytes(16).toString('hex');
  #renewal: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly key: string,
    private readonly ttlMs: number,
    private readonly logger: Logger,
  ) {}

  /** True when this instance now holds the lock; throws if Redis cannot be asked. */
  async acquire(): Promise<boolean> {
    const acquired = await this.store.set(this.key, this.#token, { nx: true, px: this.ttlMs });
    if (acquired) this.#keepAlive();
    return acquired;
  }

  /** Releases the lock if still held; never throws (an unreleased lock expires by itself). */
  async release(): Promise<void> {
    clearInterval(this.#renewal);
    this.#renewal = undefined;
    await releaseIfHeld(this.store, this.key, this.#token).catch((error: unknown) =>
      this.logger.debug({ err: error, key: this.key }, 'cache lock not released; it will expire'),
    );
  }

  #keepAlive(): void {
    this.#renewal = setInterval(
      () => {
        renewIfHeld(this.store, this.key, this.#token, this.ttlMs).then(
          (held) => {
            if (!held) {
              clearInterval(this.#renewal);
              this.logger.warn(
                { key: this.key },
                'cache lock lost while loading; another instance may load too',
              );
            }
          },
          (error: unknown) => this.logger.debug({ err: error, key: this.key }, 'cache lock renewal failed'),
        );
      },
      Math.max(10, Math.floor(this.ttlMs / 3)),
    );
    this.#renewal.unref();
  }
}

/** Local callers waiting for a key to be written by someone else. */
export class Waiters {
  readonly #waiting = new Map<string, Set<() => void>>();

  /** Resolves when `wake(id)` is called or after `ms`, whichever comes first. */
  wait(id: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let set = this.#waiting.get(id);
      if (set === undefined) {
        set = new Set();
        this.#waiting.set(id, set);
      }
      const own = set;
      const done = () => {
        clearTimeout(timer);
        own.delete(done);
        if (own.size === 0 && this.#waiting.get(id) === own) this.#waiting.delete(id);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      own.add(done);
    });
  }

  wake(id: string): void {
    const set = this.#waiting.get(id);
    if (set !== undefined) for (const done of [...set]) done();
  }

  /** Wakes every waiter whose id matches (namespace clears, tag deletes, recoveries). */
  wakeWhere(match: (id: string) => boolean): void {
    for (const id of [...this.#waiting.keys()]) if (match(id)) this.wake(id);
  }
}
