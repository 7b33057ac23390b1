/**
 * `SessionCopies`: the local copies of sessions (local-cache.ts) kept coherent across instances
 * over the sessions' invalidation channel (`<prefix>:ch:sessions:invalidate`). When copies are
 * trusted, and what becomes of them when Redis is lost, regained or failed over, is the policy of
 * every in-process copy (src/coherence/copies.ts); copies are not kept while Redis is unreachable.
 *
 * - `changed()` drops this instance's copies at once and publishes the same before it resolves, so
 *   a logout answers only once every other instance has been sent the message. A message that
 *   cannot be published is sent again for as long as a copy made before the change could still be
 *   served (`maxAgeMs`).
 *
 * Messages: `{s: [handles]}` sessions changed or ended, `{u: userId, e: epoch}` every session of
 * the user valid before the logout epoch `e` ended (logout-all, epochs.ts). Malformed operations
 * are ignored.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { LayerView } from '../redis/view.js';
import { sessionHandle } from './handle.js';
import { LocalSessionCache, type LocalSessionCacheStats, type SessionInvalidation } from './local-cache.js';
import type { SessionRecord } from './record.js';
import { renewalStep } from './session-store.js';

export interface SessionCopiesOptions {
  maxAgeMs: number;
  maxEntries: number;
  /** Names this instance in messages (random when absent). */
  instanceId?: string | undefined;
  logger: Logger;
  now: () => number;
  /** Told of what other instances ended (for the outage copies and the logout epochs). */
  heard?: {
    sessions: (handles: readonly string[]) => void;
    user: (userId: string, epoch: number | undefined) => void;
  };
}

export class SessionCopies {
  readonly #cache: LocalSessionCache;

  constructor(layer: LayerView, options: SessionCopiesOptions) {
    const cache = new LocalSessionCache({ ...options, renewalStep });
    cache.share({
      layer,
      channel: layer.keys.sessions.channel(),
      origin: options.instanceId ?? randomBytes(8).toString('hex'),
      logger: options.logger,
      label: 'session invalidation',
      merge: (last, op) => {
        if (!('s' in last) || !('s' in op)) return false;
        last.s.push(...op.s);
        return true;
      },
      received: (ops) => applyReceived(cache, ops, options.heard),
      maxAgeMs: () => cache.maxAgeMs,
      keepWhileUnreachable: false,
    });
    this.#cache = cache;
  }

  start(): Promise<void> {
    return this.#cache.start();
  }

  close(): Promise<void> {
    return this.#cache.close();
  }

  get(id: string): SessionRecord | undefined {
    return this.#cache.get(id);
  }

  peek(id: string): Readonly<SessionRecord> | undefined {
    return this.#cache.peek(id);
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
  async changed(ids: readonly string[], userId?: string, epoch?: number): Promise<void> {
    const handles = ids.map(sessionHandle);
    this.#cache.invalidate(handles);
    if (userId !== undefined) this.#cache.invalidateUser(userId);
    const ops: SessionInvalidation[] = [];
    if (handles.length > 0) ops.push({ s: handles });
    if (userId !== undefined) ops.push(epoch === undefined ? { u: userId } : { u: userId, e: epoch });
    if (ops.length === 0) return;
    for (const op of ops) this.#cache.publish(op);
    await this.#cache.flush();
  }
}

/** Operations from another instance, checked one by one: whatever is malformed is ignored. */
function applyReceived(
  cache: LocalSessionCache,
  ops: readonly SessionInvalidation[],
  heard: SessionCopiesOptions['heard'],
): void {
  for (const op of ops as readonly unknown[]) {
    if (typeof op !== 'object' || op === null) continue;
    if ('s' in op && Array.isArray(op.s)) {
      const handles = op.s.filter((h) => typeof h === 'string');
      cache.invalidate(handles);
      heard?.sessions(handles);
    } else if ('u' in op && typeof op.u === 'string') {
      cache.invalidateUser(op.u);
      const epoch = 'e' in op && typeof op.e === 'number' && Number.isFinite(op.e) ? op.e : undefined;
      heard?.user(op.u, epoch);
    }
  }
}
