/**
 * `LocalCopies<Op>`: copies of shared state kept in this process — the cache's L1, the sessions'
 * local copies — and the one policy that decides when a copy may be served instead of asking
 * Redis. A subclass holds the copies (`drop()` forgets them all); it serves one only while
 * `trusted`, and keeps what a read returned only if the fill guard (`guard`, fill-guard.ts) says
 * nothing touched its key during the read. `share()` connects the copies to the other instances
 * over an invalidation channel (invalidation-channel.ts); from `start()` they follow the layer:
 *
 * - Trusted means: the layer is `ready` and this instance has received its own probe on the
 *   channel since it started, last became `ready`, or last saw a failover. Only then may a copy be
 *   served as the shared value, or a new copy be made from a read.
 * - Leaving `ready` distrusts at once. Redis unreachable for this instance is not unreachable for
 *   all (a partition, one Cluster shard down, a Redis that came back for others first): another
 *   instance may change the shared value, and its message cannot reach us. The copies are dropped,
 *   unless the module keeps them as its outage fallback (`keepWhileUnreachable`): then they are
 *   what the module answers with while Redis is down, knowingly possibly stale, never as the
 *   shared value, and they are dropped when Redis is back.
 * - Returning to `ready`, and every failover (the layer's `topology` event), drops every copy:
 *   messages sent while this instance could not hear them are lost (pub/sub delivers at most once,
 *   and the subscriber connection may come back after the command connection). Copies are then
 *   distrusted until this instance's own probe comes back, which proves the subscription is live.
 * - A change whose message could not be published is sent again every RETRY_MS, once Redis is
 *   reachable, until it is sent or moot: `maxAgeMs` after the change no copy made before it can
 *   still be served anywhere.
 * - Every copy has an age limit (`maxAgeMs`), which bounds what a message lost despite all this
 *   can cost.
 */
import type { Logger } from '../logger.js';
import type { StateChange } from '../redis/layer.js';
import type { Store } from '../redis/store.js';
import { clusterReachable, type LayerView } from '../redis/view.js';
import { FillGuard } from './fill-guard.js';
import { type BarrierResult, InvalidationChannel, type LagSink } from './invalidation-channel.js';
import { Outbox } from './outbox.js';

export interface ShareOptions<Op> {
  layer: LayerView;
  /** The Store the channel runs on. @default the layer's */
  store?: Store;
  /** The channel's name (keys.ts). */
  channel: string;
  /** This instance's id; messages carrying it are its own. */
  origin: string;
  logger: Logger;
  /** Names the channel in log lines ("cache invalidation"). */
  label: string;
  lag?: LagSink;
  /** Folds `op` into the last queued operation when possible (true), so a burst makes one. */
  merge?: (last: Op, op: Op) => boolean;
  /** Applies operations received from another instance: drops the copies they name. */
  received: (ops: readonly Op[], origin: string, lagMs: number) => void;
  /** Longest a copy is served without asking Redis (read when a change is published). */
  maxAgeMs: () => number;
  /** Keep the copies while Redis is unreachable, as what the module answers with meanwhile. */
  keepWhileUnreachable: boolean;
  /** Runs on every return to `ready` and failover, before the channel is confirmed again. */
  recovering?: () => Promise<void>;
}

interface Shared<Op extends object> {
  options: ShareOptions<Op>;
  channel: InvalidationChannel<Op>;
  outbox: Outbox<Op>;
}

/** How often a message that could not be published is tried again. */
const RETRY_MS = 100;
/**
 * Longest `start()` waits for the channel's first confirmation (a few probes on a slow machine);
 * past it the subscription is likely broken, and confirming goes on in the background.
 */
const START_CONFIRM_WAIT_MS = 5000;

export abstract class LocalCopies<Op extends object> {
  readonly guard = new FillGuard();
  #trusted = false;
  #shared: Shared<Op> | undefined;
  /** Bumped whenever a confirmation in progress must stop (distrusted again, or closed). */
  #confirmRun = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #started = false;
  #closed = false;
  readonly #onState = ({ state }: StateChange) => {
    if (state === 'ready') void this.#recover();
    else this.#leaveReady();
  };
  readonly #onTopology = () => void this.#recover();

  /** Forgets every copy. */
  protected abstract drop(): void;

  get trusted(): boolean {
    return this.#trusted;
  }

  /** Serves nothing and keeps nothing until `trust()`; reads in flight will not fill. */
  distrust(): void {
    this.#trusted = false;
    this.guard.touchAll();
    this.drop();
  }

  /** Copies may be served and made again, starting from none. */
  trust(): void {
    this.guard.touchAll();
    this.drop();
    this.#trusted = true;
  }

  /** Keeps these copies coherent with the other instances' (before `start()`). */
  share(options: ShareOptions<Op>): void {
    const outbox = new Outbox<Op>();
    const merge = options.merge;
    const channel = new InvalidationChannel<Op>({
      store: options.store ?? options.layer.store,
      channel: options.channel,
      origin: options.origin,
      handlers: {
        apply: options.received,
        undelivered: (ops) => {
          outbox.keep(ops, Date.now());
          this.#scheduleRetry();
        },
      },
      logger: options.logger,
      label: options.label,
      ...(options.lag === undefined ? {} : { lag: options.lag }),
      ...(merge === undefined
        ? {}
        : {
            merge: (last: Op, op: Op) => {
              if (!merge(last, op)) return false;
              outbox.merged(last, op);
              return true;
            },
          }),
    });
    this.#shared = { options, channel, outbox };
  }

  /**
   * Subscribes and follows the layer. While Redis is reachable, waits (briefly) for the channel's
   * first confirmation, so copies are used from the start.
   */
  async start(): Promise<void> {
    const shared = this.#shared;
    if (shared === undefined || this.#started || this.#closed) return;
    this.#started = true;
    const { layer } = shared.options;
    layer.on('state', this.#onState);
    layer.on('topology', this.#onTopology);
    await shared.channel.start();
    // Not reachable now: confirmed on the first return to `ready`.
    if (!clusterReachable(layer)) return;
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, START_CONFIRM_WAIT_MS);
      timer.unref();
    });
    await Promise.race([this.#confirm(++this.#confirmRun), waited]);
    clearTimeout(timer);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#confirmRun++;
    clearTimeout(this.#retryTimer);
    const shared = this.#shared;
    shared?.options.layer.off('state', this.#onState);
    shared?.options.layer.off('topology', this.#onTopology);
    this.distrust();
    await shared?.channel.stop();
  }

  /** Tells the other instances to drop their copies of what `op` names (sent at the end of this tick). */
  publish(op: Op): void {
    const shared = this.#shared;
    if (shared === undefined) return;
    shared.outbox.note(op, Date.now() + shared.options.maxAgeMs());
    shared.channel.publish(op);
  }

  /** Publishes what is queued; resolves when every publish so far has settled. */
  async flush(): Promise<void> {
    await this.#shared?.channel.flush();
  }

  /**
   * Publishes what is queued and waits, at most `timeoutMs`, until every instance listening has
   * applied it (the channel's barrier). While Redis is unreachable nobody can be told: no wait.
   */
  async barrier(timeoutMs: number): Promise<BarrierResult> {
    const shared = this.#shared;
    if (shared === undefined || !clusterReachable(shared.options.layer)) return { receivers: 0, answered: 0 };
    return shared.channel.barrier(timeoutMs);
  }

  #leaveReady(): void {
    this.#confirmRun++;
    if (this.#shared?.options.keepWhileUnreachable === true) {
      this.#trusted = false;
      this.guard.touchAll();
    } else {
      this.distrust();
    }
  }

  async #recover(): Promise<void> {
    const shared = this.#shared;
    if (shared === undefined || this.#closed) return;
    const run = ++this.#confirmRun;
    this.distrust();
    this.#resend();
    await shared.options.recovering?.().catch((error: unknown) => {
      shared.options.logger.warn({ err: error }, `${shared.options.label}: recovery step failed`);
    });
    await this.#confirm(run);
  }

  /** Trusts the copies once this instance receives its own probe while Redis is reachable. */
  async #confirm(run: number): Promise<void> {
    const shared = this.#shared!;
    const layer = shared.options.layer;
    const live = await shared.channel.confirm(
      () => clusterReachable(layer),
      () => run === this.#confirmRun,
    );
    if (live) this.trust();
  }

  #scheduleRetry(): void {
    if (this.#retryTimer !== undefined || this.#closed || this.#shared?.outbox.size === 0) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#resend();
    }, RETRY_MS);
    this.#retryTimer.unref();
  }

  /** Sends again what is still worth sending, once Redis is reachable; what is moot is dropped. */
  #resend(): void {
    const shared = this.#shared;
    if (shared === undefined) return;
    const now = Date.now();
    const due = shared.outbox.take(now);
    if (clusterReachable(shared.options.layer)) {
      for (const op of due) shared.channel.publish(op);
    } else {
      shared.outbox.keep(due, now);
      this.#scheduleRetry();
    }
  }
}
