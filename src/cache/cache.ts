/**
 * `Cache`: the shared cache of one process — its default namespace (`default`), the lifecycle,
 * statistics and warm targets.
 *
 * Tiers: L1 in process; L2 in Redis whenever the connection layer is not in memory mode. In
 * memory mode there is a single process, so L1 is the whole cache (an in-process L2 would only hold
 * every value twice). `options.l2` can put a shared in-process store under several caches, which
 * is how the conformance suite checks L2 without Redis.
 *
 * Lifecycle: `start()` subscribes to the invalidation channel and starts the statistics flush.
 * L1 follows the trust policy of every in-process copy (src/coherence/copies.ts), kept through an
 * outage as the cache's fallback; whenever the layer becomes ready again the cache also replays
 * the writes it could not send (journal.ts) and flushes its statistics. `close()` flushes and
 * unsubscribes.
 */
import { randomBytes } from 'node:crypto';
import type { BarrierResult } from '../coherence/invalidation-channel.js';
import { type CacheConfig, loadCacheConfig } from '../config/cache.js';
import { type Logger, silentLogger } from '../logger.js';
import { anyFailure, withFallback } from '../redis/fallback.js';
import type { Store } from '../redis/store.js';
import { clusterReachable, type LayerView } from '../redis/view.js';
import { ClusterStatsReporter } from './cluster-stats.js';
import { CacheEngine } from './engine.js';
import { EntryCodec } from './envelope.js';
import { CacheClosedError } from './errors.js';
import { type InvalidationOp, mergeKeyOps } from './invalidation.js';
import { L2 } from './l2.js';
import { type CacheCore, CacheNamespace } from './namespace.js';
import { COUNTER_NAMES, emptyCounters, LagRecorder, withRates } from './stats.js';
import type {
  CacheStats,
  InstanceCacheStats,
  NamespaceStats,
  Serializer,
  WarmOptions,
  WarmReport,
} from './types.js';
import { checkName } from './validate.js';
import { WarmTargetRegistry } from './warm.js';

export const DEFAULT_NAMESPACE = 'default';

/** What the cache needs from the connection layer (a `RedisLayer`, or a view of one in tests). */
export type CacheLayer = LayerView;

export interface CacheOptions {
  /** The connection layer; its store is L2 unless it is in memory mode. */
  redis: CacheLayer;
  /** Settings; the rest come from the environment and the defaults (src/config/cache.ts). */
  config?: Partial<CacheConfig>;
  logger?: Logger;
  /** Replaces the default (JSON, Buffers as raw bytes) for every value this cache writes. */
  serializer?: Serializer;
  /** Identifies this instance in invalidation messages and statistics. @default random */
  instanceId?: string;
  /**
   * A store to use as L2 instead of the layer's, e.g. one MemoryStore shared by several caches in
   * one process. It is used while the layer is ready or in memory mode.
   */
  l2?: Store;
}

export interface InvalidationEvent {
  origin: string;
  ops: readonly InvalidationOp[];
  /** Publish-to-applied delay (sender and receiver clocks). */
  lagMs: number;
}

export function createCache(options: CacheOptions): Cache {
  return new Cache(options);
}

export class Cache extends CacheNamespace {
  readonly instanceId: string;
  readonly config: CacheConfig;
  readonly warmTargets = new WarmTargetRegistry();
  readonly #state: { engine: CacheEngine; config: CacheConfig; closed: boolean };
  readonly #layer: CacheLayer;
  readonly #usable: () => boolean;
  readonly #reporter: ClusterStatsReporter | undefined;
  readonly #lag = new LagRecorder();
  readonly #listeners = new Set<(event: InvalidationEvent) => void>();
  #started = false;

  constructor(options: CacheOptions) {
    const config = loadCacheConfig(process.env, options.config);
    const layer = options.redis;
    const store = options.l2 ?? (layer.state === 'memory' ? undefined : layer.store);
    const l2 = store === undefined ? undefined : new L2(store, layer.keys);
    const logger = options.logger ?? silentLogger;
    const usable = () => store !== undefined && clusterReachable(layer);
    const engine: CacheEngine = new CacheEngine({
      config,
      keys: layer.keys,
      l2,
      codec: new EntryCodec(options.serializer),
      logger,
      l2Usable: usable,
      // Copied: queued key operations are merged into the first one, which must not be the caller's.
      publish: (op) => engine.local.publish('k' in op ? { n: op.n, k: [...op.k] } : op),
    });
    const state = { engine, config, closed: false };
    super(state satisfies CacheCore, DEFAULT_NAMESPACE);
    this.#state = state;
    this.config = config;
    this.#layer = layer;
    this.#usable = usable;
    this.instanceId = options.instanceId ?? randomBytes(8).toString('hex');
    if (store !== undefined) {
      const reporter = new ClusterStatsReporter(
        store,
        layer.keys,
        this.instanceId,
        engine.counters,
        engine.local.l1,
        config.statsFlushMs,
        usable,
        logger,
      );
      engine.local.share({
        layer,
        store,
        channel: layer.keys.cache.channel(),
        origin: this.instanceId,
        logger,
        label: 'cache invalidation',
        lag: this.#lag,
        merge: mergeKeyOps,
        received: (ops, origin, lagMs) => {
          engine.writer.applyRemote(ops);
          for (const listener of this.#listeners) listener({ origin, ops, lagMs });
        },
        maxAgeMs: () => engine.local.longestL1Ttl,
        // Through an outage L1 answers alone (engine.ts): the cache's documented fallback.
        keepWhileUnreachable: true,
        // Writes made while Redis was unreachable may be held elsewhere in their old form.
        recovering: () => {
          void reporter.flush();
          return engine.writer.replayJournal();
        },
      });
      this.#reporter = reporter;
    }
  }

  /** A top-level namespace. */
  override namespace(name: string): CacheNamespace {
    checkName(name);
    return new CacheNamespace(this.core, name);
  }

  /** Empties the whole cache — every namespace — on every instance; resolves to how many entries. */
  override clear(): Promise<number> {
    if (this.#state.closed) throw new CacheClosedError();
    return this.#state.engine.writer.clear(undefined);
  }

  /** Subscribes to invalidations and starts the statistics flush. Idempotent. */
  async start(): Promise<void> {
    if (this.#started || this.#state.closed) return;
    this.#started = true;
    await this.#state.engine.local.start();
    this.#reporter?.start();
  }

  async close(): Promise<void> {
    if (this.#state.closed) return;
    this.#state.closed = true;
    await Promise.all([this.#state.engine.local.close(), this.#reporter?.stop()]);
    this.#state.engine.close();
  }

  /** Publishes the invalidations queued so far; resolves once each has been handed to Redis (or kept for retry). */
  flushInvalidations(): Promise<void> {
    return this.#state.engine.local.flush();
  }

  /**
   * Publishes the invalidations queued so far and waits, at most `timeoutMs`, until every other
   * instance listening has applied them: after it, a read anywhere no longer finds a copy they
   * replaced. Resolves to how many instances the message reached and how many answered (fewer
   * after a timeout). Without Redis, or on the REST topology (receivers not counted), no wait.
   */
  awaitInvalidations(timeoutMs: number): Promise<BarrierResult> {
    return this.#state.engine.local.barrier(timeoutMs);
  }

  /** Called for every invalidation received from another instance; returns an unsubscribe function. */
  onInvalidation(listener: (event: InvalidationEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Runs a registered warm target (see `warmTargets`). */
  warmTarget(name: string, options: WarmOptions = {}): Promise<WarmReport> {
    const target = this.warmTargets.get(name);
    const ns = target.namespace.split('/').reduce<CacheNamespace>((parent, part, i) => {
      return i === 0 ? this.namespace(part) : parent.namespace(part);
    }, this);
    return Promise.resolve(target.count?.()).then((count) =>
      ns.warm(target.keys(), (key) => target.load(key), {
        ...target.options,
        ...(count === undefined ? {} : { total: count }),
        ...options,
      }),
    );
  }

  /** This instance's counters, synchronously. */
  localStats(): InstanceCacheStats {
    const { engine } = this.#state;
    const names = new Set([...engine.counters.namespaces(), ...engine.local.l1.namespaces()]);
    const namespaces: Record<string, NamespaceStats> = {};
    const totals = emptyCounters();
    for (const ns of [...names].sort()) {
      const counters = engine.counters.snapshot(ns);
      const usage = engine.local.l1.usage(ns);
      namespaces[ns] = withRates(counters, usage.entries, usage.bytes);
      for (const name of COUNTER_NAMES) totals[name] += counters[name];
    }
    return {
      instanceId: this.instanceId,
      mode: this.#usable() ? 'redis' : 'l1-only',
      totals: withRates(totals, engine.local.l1.size, engine.local.l1.bytes),
      namespaces,
      l1: {
        entries: engine.local.l1.size,
        bytes: engine.local.l1.bytes,
        maxEntries: engine.local.l1.maxEntries,
        maxBytes: engine.local.l1.maxBytes,
      },
      invalidation: this.#lag.snapshot(),
    };
  }

  /** This instance's counters and the cluster-wide totals (null without Redis). */
  async stats(): Promise<CacheStats> {
    const instance = this.localStats();
    const reporter = this.#reporter;
    const cluster =
      reporter === undefined
        ? null
        : await withFallback(
            this.#layer,
            () => reporter.read(),
            () => null,
            { when: anyFailure },
          );
    return { instance, cluster };
  }
}
