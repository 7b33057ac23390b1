/**
 * The layer's record of pub/sub subscriptions, so that none is lost to an outage.
 *
 * A subscription made while Redis is unreachable is kept as pending instead of failing, and is
 * made on the server as soon as the layer is ready again. Subscriptions that were established are
 * restored by node-redis after a reconnection; `restore()` re-applies every one after a recovery
 * as well, which is harmless for those already active (a listener is only registered once) and
 * repairs any the client dropped across a failover.
 */
import { PlexusError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { MessageListener, Unsubscribe } from './store.js';
import { errorMessage, withTimeout } from './topology/client-options.js';
import type { Topology } from './topology/topology.js';

interface Entry {
  channel: string;
  listener: MessageListener;
  pattern: boolean;
}

export class Subscriptions {
  readonly #entries = new Set<Entry>();

  constructor(
    private readonly topology: Topology,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  async add(channel: string, listener: MessageListener, pattern: boolean): Promise<Unsubscribe> {
    const entry: Entry = { channel, listener, pattern };
    this.#entries.add(entry);
    try {
      await this.#apply(entry);
    } catch (error) {
      if (error instanceof PlexusError && error.code === 'PLEXUS_UNSUPPORTED') {
        this.#entries.delete(entry);
        throw error;
      }
      this.logger.debug({ channel, err: errorMessage(error) }, 'subscription pending until Redis is back');
    }
    return async () => {
      if (!this.#entries.delete(entry)) return;
      await withTimeout(
        this.topology.unsubscribe(channel, listener, pattern),
        this.timeoutMs,
        'UNSUBSCRIBE',
      ).catch((error: unknown) =>
        this.logger.debug({ channel, err: errorMessage(error) }, 'unsubscribe failed'),
      );
    };
  }

  /**
   * Re-applies every subscription; part of the layer becoming ready. Tries them all, then throws
   * the first failure (the layer stays degraded and tries again), so `ready` means subscribed.
   * `timeoutMs` bounds each: the layer gives it a connection's budget, since the first one may
   * have to open the subscriber connection.
   */
  async restore(timeoutMs = this.timeoutMs): Promise<void> {
    let failure: unknown;
    await Promise.all(
      [...this.#entries].map((entry) =>
        this.#apply(entry, timeoutMs).catch((error: unknown) => {
          failure ??= new Error(`subscription ${entry.channel} not restored: ${errorMessage(error)}`);
        }),
      ),
    );
    if (failure !== undefined) throw failure;
  }

  #apply(entry: Entry, timeoutMs = this.timeoutMs): Promise<void> {
    return withTimeout(
      this.topology.subscribe(entry.channel, entry.listener, entry.pattern),
      timeoutMs,
      'SUBSCRIBE',
    );
  }
}
