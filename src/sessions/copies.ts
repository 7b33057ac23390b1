/**
 * `SessionCopies`: the local copies of sessions (local-cache.ts) kept coherent across instances
 * over the sessions' invalidation channel (`<prefix>:ch:sessions:invalidate`, an
 * `InvalidationChannel`, src/coherence/).
 *
 * - `changed()` drops this instance's copies at once and publishes the same before it resolves, so
 *   a logout answers only once every other instance has been sent the message.
 * - Copies are served only while the channel is confirmed: after start, after every return of
 *   the layer to `ready` and after every failover (the layer's `topology` event), until this
 *   instance receives its own probe. Any other state drops them.
 * - A message that cannot be published is tried again every RETRY_MS for as long as a copy made
 *   before the change could still be served (its age limit); after that it is moot.
 *
 * Messages: `{s: [handles]}` sessions changed or ended, `{u: userId}` every session of the user
 * ended (logout-all). Malformed operations are ignored.
 */
import { randomBytes } from 'node:crypto';
import { InvalidationChannel } from '../coherence/invalidation-channel.js';
import type { Logger } from '../logger.js';
import type { StateChange } from '../redis/layer.js';
import type { LayerView } from '../redis/view.js';
import { sessionHandle } from './handle.js';
import { LocalSessionCache, type LocalSessionCacheStats } from './local-cache.js';
import type { SessionRecord } from './record.js';
import { renewalStep } from './session-store.js';

type SessionInvalidation = { s: string[] } | { u: string };

/** How often a message that could not be published is tried again. */
const RETRY_MS = 100;

export interface SessionCopiesOptions {
  maxAgeMs: number;
  maxEntries: number;
  /** Names this instance in messages (random when absent). */
  instanceId?: string | undefined;
  logger: Logger;
  now: () => number;
}

export class SessionCopies {
  readonly #layer: LayerView;
  readonly #cache: LocalSessionCache;
  readonly #channel: InvalidationChannel<SessionInvalidation>;
  readonly #now: () => number;
  /** When each message handed back unsent stops being worth sending (no copy can outlive it). */
  readonly #sendUntil = new WeakMap<SessionInvalidation, number>();
  #unsent: SessionInvalidation[] = [];
  #retryTimer: NodeJS.Timeout | undefined;
  /** Bumped whenever the channel must be confirmed again, so an older confirmation stops. */
  #confirmRun = 0;
  #closed = false;
  /** A failover may have lost messages: copies are dropped and the channel confirmed again. */
  readonly #onTopology = () => void this.#confirm();

  constructor(layer: LayerView, options: SessionCopiesOptions) {
    this.#layer = layer;
    this.#now = options.now;
    this.#cache = new LocalSessionCache({ ...options, renewalStep });
    this.#channel = new InvalidationChannel<SessionInvalidation>({
      store: layer.store,
      channel: layer.keys.sessions.channel(),
      origin: options.instanceId ?? randomBytes(8).toString('hex'),
      handlers: {
        apply: (ops) => this.#apply(ops),
        undelivered: (ops) => this.#keepUnsent(ops),
      },
      logger: options.logger,
      label: 'session invalidation',
      merge: (last, op) => {
        if (!('s' in last) || !('s' in op)) return false;
        last.s.push(...op.s);
        return true;
      },
    });
  }

  async start(): Promise<void> {
    this.#layer.on('topology', this.#onTopology);
    await this.#channel.start();
    void this.#confirm();
  }

  async close(): Promise<void> {
    this.#layer.off('topology', this.#onTopology);
    this.#closed = true;
    this.#confirmRun++;
    clearTimeout(this.#retryTimer);
    this.#cache.distrust();
    await this.#channel.stop();
  }

  /** Follows the layer: copies are dropped when it leaves `ready`, confirmed again when it is back. */
  stateChanged(change: StateChange): void {
    if (change.state === 'ready') {
      void this.#confirm();
    } else {
      this.#confirmRun++;
      this.#cache.distrust();
    }
  }

  get(id: string): SessionRecord | undefined {
    return this.#cache.get(id);
  }

  /** See LocalSessionCache.ticket / fill. */
  ticket(): number {
    return this.#cache.ticket();
  }

  fill(id: string, record: SessionRecord | null, ticket: number): void {
    this.#cache.fill(id, record, ticket);
  }

  stats(): LocalSessionCacheStats {
    return this.#cache.stats();
  }

  /**
   * Drops the copies of these sessions (and, with `userId`, of all the user's) here and, before
   * resolving, publishes the same to every other instance.
   */
  async changed(ids: readonly string[], userId?: string): Promise<void> {
    const handles = ids.map(sessionHandle);
    this.#cache.invalidate(handles);
    if (userId !== undefined) this.#cache.invalidateUser(userId);
    const until = this.#now() + this.#cache.maxAgeMs;
    const ops: SessionInvalidation[] = [];
    if (handles.length > 0) ops.push({ s: handles });
    if (userId !== undefined) ops.push({ u: userId });
    if (ops.length === 0) return;
    for (const op of ops) {
      this.#sendUntil.set(op, until);
      this.#channel.publish(op);
    }
    await this.#channel.flush();
  }

  #apply(ops: readonly SessionInvalidation[]): void {
    for (const op of ops as readonly unknown[]) {
      if (typeof op !== 'object' || op === null) continue;
      if ('s' in op && Array.isArray(op.s)) this.#cache.invalidate(op.s.filter((h) => typeof h === 'string'));
      else if ('u' in op && typeof op.u === 'string') this.#cache.invalidateUser(op.u);
    }
  }

  #keepUnsent(ops: readonly SessionInvalidation[]): void {
    const now = this.#now();
    this.#unsent.push(...ops.filter((op) => (this.#sendUntil.get(op) ?? 0) > now));
    if (this.#unsent.length === 0 || this.#retryTimer !== undefined || this.#closed) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      const unsent = this.#unsent;
      this.#unsent = [];
      for (const op of unsent) this.#channel.publish(op);
    }, RETRY_MS);
    this.#retryTimer.unref();
  }

  /** Copies are served again once this instance receives its own probe while Redis is ready. */
  async #confirm(): Promise<void> {
    if (this.#closed) return;
    const run = ++this.#confirmRun;
    this.#cache.distrust();
    const live = await this.#channel.confirm(
      () => this.#layer.state === 'ready',
      () => run === this.#confirmRun,
    );
    if (live) this.#cache.trust();
  }
}
