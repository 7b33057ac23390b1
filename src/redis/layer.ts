/**
 * The Redis connection layer: one object per process that owns the connections for the configured
 * topology and gives every Plexus module a `Store`, the key builder, and the layer's state.
 *
 * States: `memory` (no Redis configured; nothing connects), `connecting`, `ready`, `degraded`.
 * The layer is degraded while the circuit breaker is open: Redis unreachable at startup, a lost
 * connection, a failed health check, or too many failed calls. Each change emits a `state` event
 * and is logged once (warn when degrading, info when recovering). While degraded, calls fail fast
 * with REDIS_UNAVAILABLE and modules switch to their in-process implementations. A health check
 * (PING) runs every REDIS_HEALTH_INTERVAL_MS while ready.
 *
 * Coming back: while degraded, the return probe (topology/return-probe.ts) PINGs every node over a
 * bare connection every REDIS_RETURN_PROBE_MS. The first time the nodes answer after the trip (or
 * after having been silent since), the connections still waiting out their reconnect back-off are
 * replaced by fresh ones (`reconnectNow`) and the half-open probe runs at once, and again at every
 * tick until it succeeds; otherwise it runs every REDIS_BREAKER_RESET_MS. Such an early return
 * happens at most once per REDIS_BREAKER_RESET_MS, so a Redis that keeps tripping the breaker
 * (overloaded, flapping) is retried no more often than before. So the layer is back within about
 * one probe interval of Redis answering, while a Redis still down costs one refused connection
 * (or one unanswered PING) per node and interval. The half-open probe succeeds only once every
 * subscription is made again: `ready` means subscribed, and the in-process copies confirm their
 * channel right after (src/coherence).
 */
import { EventEmitter } from 'node:events';
import type { RedisConfig, RedisMode } from '../config/redis.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { type BreakerState, CircuitBreaker } from './breaker.js';
import { DeadlineQueue } from './deadlines.js';
import { Executor } from './executor.js';
import { Keys } from './keys.js';
import { MemoryStore } from './memory/memory-store.js';
import { RedisStore } from './redis-store.js';
import { type NodeStats, type OperationStats, Stats } from './stats.js';
import type { Store } from './store.js';
import { Subscriptions } from './subscriptions.js';
import { errorMessage, withTimeout } from './topology/client-options.js';
import { ClusterTopology } from './topology/cluster.js';
import { FallbackTopology } from './topology/fallback.js';
import { RestTopology } from './topology/rest.js';
import { ReturnProbe } from './topology/return-probe.js';
import { SentinelTopology } from './topology/sentinel.js';
import { SingleTopology } from './topology/single.js';
import type { NodeStatus, Topology, TopologyEvents } from './topology/topology.js';

export type LayerState = 'memory' | 'connecting' | 'ready' | 'degraded';

export interface StateChange {
  state: LayerState;
  previous: LayerState;
  /** Why the layer is degraded; empty otherwise. */
  reason: string;
}

export interface RedisHealth {
  topology: RedisMode;
  state: LayerState;
  connected: boolean;
  degraded: boolean;
  reason: string | null;
  breaker: BreakerState | 'none';
  nodes: NodeStatus[];
  stats: OperationStats & { nodes: Record<string, NodeStats> };
  subscriptions: number;
}

export interface RedisLayerOptions {
  logger?: Logger;
}

/**
 * The deployment's shape changed while the layer stayed usable (a Sentinel or Cluster failover
 * moved a master or slots); emitted once the layer has checked it and re-applied subscriptions.
 * Messages published meanwhile may have been lost: copies kept coherent by pub/sub confirm their
 * channel again (the cache's L1, the sessions' local copies).
 */
export interface TopologyChange {
  reason: string;
}

export interface RedisLayerEvents {
  state: [StateChange];
  topology: [TopologyChange];
}

export class RedisLayer extends EventEmitter<RedisLayerEvents> {
  readonly keys: Keys;
  readonly store: Store;
  readonly config: RedisConfig;

  #state: LayerState;
  #reason = '';
  readonly #logger: Logger;
  readonly #topology: Topology | undefined;
  readonly #breaker: CircuitBreaker | undefined;
  readonly #stats = new Stats();
  readonly #deadlines: DeadlineQueue;
  readonly #executor: Executor | undefined;
  readonly #subscriptions: Subscriptions | undefined;
  readonly #returnProbe: ReturnProbe | undefined;
  /**
   * The next answer of the return probe is a return: set when the layer leaves ready (the trip is
   * the evidence, even if Redis answers again before the probe's first look), and whenever the
   * probe finds the nodes silent or slow.
   */
  #silent = false;
  /** Redis answers again after silence: the half-open probe runs at every tick until it succeeds. */
  #returning = false;
  /** When the last early return began (performance.now()); at most one per REDIS_BREAKER_RESET_MS. */
  #returnedAt = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;
  /** A scheduled check is running; it schedules the next one when it ends. */
  #checking = false;
  #probing: Promise<void> | undefined;
  /** A topology change arrived during a probe: probe again right after it. */
  #probeAgain = false;
  #connected = false;
  #opening: Promise<void> | undefined;
  #closed = false;

  constructor(config: RedisConfig, options: RedisLayerOptions = {}) {
    super();
    this.config = config;
    this.keys = new Keys(config.keyPrefix);
    this.#logger = options.logger ?? silentLogger;
    this.#deadlines = new DeadlineQueue(config.commandTimeoutMs);

    if (config.mode === 'memory') {
      this.#state = 'memory';
      this.store = new MemoryStore();
      return;
    }
    this.#state = 'connecting';
    const events: TopologyEvents = {
      lost: (reason) => this.#breaker?.trip(reason),
      changed: (reason) => this.#onTopologyChanged(reason),
    };
    const topology = createTopology(config, events, this.#logger, this.keys);
    this.#topology = topology;
    this.#breaker = new CircuitBreaker(
      {
        windowMs: config.breakerWindowMs,
        volumeThreshold: config.breakerVolumeThreshold,
        errorRatePercent: config.breakerErrorRate,
        resetMs: config.breakerResetMs,
      },
      (state, reason) => this.#onBreaker(state, reason),
    );
    this.#returnProbe = new ReturnProbe({
      // As the single node's client decides (single.ts): a rediss: URL means TLS too.
      tls: config.tls || config.url?.startsWith('rediss:') === true,
      waitMs: config.commandTimeoutMs,
      dropMs: config.connectTimeoutMs,
      // A paused node resumed between two ticks: the next tick runs now.
      onLateAnswer: () => this.#tickNow(),
    });
    this.#subscriptions = new Subscriptions(this.#topology, config.commandTimeoutMs, this.#logger);
    this.#executor = new Executor(this.#breaker, this.#deadlines, this.#stats, (node) =>
      topology.noteFailure?.(node),
    );
    this.store = new RedisStore(topology, this.#executor, this.#subscriptions);
  }

  /** The topology in use: the configured one, or `single` after REDIS_FALLBACK_TO_SINGLE took over. */
  get mode(): RedisMode {
    return this.#topology?.name ?? 'memory';
  }

  get state(): LayerState {
    return this.#state;
  }

  /** Why the layer is degraded; empty when it is not. */
  get reason(): string {
    return this.#reason;
  }

  /** The circuit breaker's state, read without I/O (health() also asks the nodes). */
  get breaker(): BreakerState | 'none' {
    return this.#breaker?.state ?? 'none';
  }

  /** True when calls go to Redis (state `ready`). */
  get usingRedis(): boolean {
    return this.#state === 'ready';
  }

  /**
   * Connects and waits for the first health check, at most REDIS_CONNECT_TIMEOUT_MS. Never throws
   * because Redis is unreachable: the layer then starts degraded and keeps trying in the background.
   */
  async connect(): Promise<void> {
    const topology = this.#topology;
    if (topology === undefined || this.#closed) return;
    const connecting = this.#open().then(
      () => this.#probe(),
      (error: unknown) => this.#breaker?.trip(`cannot connect: ${errorMessage(error)}`),
    );
    // Return as soon as the outcome is known: ready, or degraded (e.g. connection refused).
    const settled = new Promise<void>((resolve) => {
      const onState = () => resolve();
      this.once('state', onState);
      void connecting.finally(() => {
        this.off('state', onState);
        resolve();
      });
    });
    // With REDIS_FALLBACK_TO_SINGLE the Cluster has its own startup budget before the single node's.
    const fallback = this.config.mode === 'cluster' && this.config.fallbackToSingle;
    const startupMs = this.config.connectTimeoutMs + (fallback ? this.config.failoverTimeoutMs : 0);
    await withTimeout(settled, startupMs, 'connect').catch(() => {
      if (this.#state === 'connecting') this.#breaker?.trip('unreachable at startup');
    });
    this.#schedule();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#returnProbe?.close();
    this.#executor?.close();
    if (this.store instanceof MemoryStore) this.store.close();
    await this.#topology?.close();
  }

  stats(): OperationStats & { nodes: Record<string, NodeStats> } {
    return { ...this.#stats.snapshot(), nodes: this.#stats.nodes() };
  }

  async health(): Promise<RedisHealth> {
    const nodes = this.#topology
      ? await this.#topology.nodes(this.config.commandTimeoutMs).catch((): NodeStatus[] => [])
      : [];
    return {
      topology: this.mode,
      state: this.#state,
      connected: this.#state === 'ready',
      degraded: this.#state === 'degraded',
      reason: this.#reason === '' ? null : this.#reason,
      breaker: this.breaker,
      nodes,
      stats: this.stats(),
      subscriptions: this.#subscriptions?.size ?? 0,
    };
  }

  /** Schedules the next check at the cadence of the current state: one chain of checks at a time. */
  #schedule(now = false): void {
    if (this.#closed || this.#checking) return;
    clearTimeout(this.#timer);
    const ready = this.#breaker?.allows() === true;
    const delay = now ? 0 : ready ? this.config.healthCheckIntervalMs : this.config.returnProbeMs;
    this.#timer = setTimeout(() => {
      this.#checking = true;
      void (ready ? this.#probe() : this.#degradedTick()).finally(() => {
        this.#checking = false;
        this.#schedule();
      });
    }, delay);
    this.#timer.unref();
  }

  /** While degraded and between two ticks, runs the next tick now. */
  #tickNow(): void {
    if (this.#closed || this.#checking || this.#breaker?.allows() !== false) return;
    this.#schedule(true);
  }

  /** One tick of the return probe, and the half-open probe when Redis is back or it is due. */
  async #degradedTick(): Promise<void> {
    const topology = this.#topology;
    const breaker = this.#breaker;
    if (topology === undefined || breaker === undefined || this.#closed) return;
    const started = performance.now();
    const answers = await this.#returnProbe!.answers(topology.returnTargets());
    // A reply slower than a probe interval was a paused server resuming: a return as well.
    if (!answers || performance.now() - started > this.config.returnProbeMs) this.#silent = true;
    if (!answers) {
      this.#returning = false;
    } else if (this.#silent && started - this.#returnedAt >= this.config.breakerResetMs) {
      // A Redis that keeps tripping the breaker (overloaded, flapping) is not retried early more
      // than once per reset period: beyond that it waits for the usual half-open probe.
      this.#silent = false;
      this.#returning = true;
      this.#returnedAt = started;
      topology.reconnectNow();
    }
    if (this.#closed || breaker.allows()) return;
    if (!this.#returning && breaker.state !== 'half-open') return;
    if (!this.#connected) {
      // Never connected yet (Redis down at startup): the attempt goes on in the background, and
      // the ticks go on meanwhile rather than wait REDIS_CONNECT_TIMEOUT_MS for it.
      await withTimeout(this.#open(), this.config.returnProbeMs, 'connect').catch(() => {});
      if (!this.#connected) return;
    }
    await this.#probe();
  }

  /**
   * One health check. While degraded it is the breaker's half-open probe, and asks for the whole
   * deployment (every Cluster master answering, cluster_state:ok) so that recovering from a
   * partial outage does not flap; while ready, any reachable master will do.
   */
  #probe(): Promise<void> {
    // A probe asked for while one runs (a failover signal) runs again right after it; every
    // caller waits for the outcome, so connect() never returns while still `connecting`.
    if (this.#probing !== undefined) {
      this.#probeAgain = true;
      return this.#probing;
    }
    this.#probing = (async () => {
      do {
        this.#probeAgain = false;
        await this.#probeOnce();
      } while (this.#probeAgain && !this.#closed);
    })().finally(() => {
      this.#probing = undefined;
    });
    return this.#probing;
  }

  async #probeOnce(): Promise<void> {
    const topology = this.#topology;
    const breaker = this.#breaker;
    if (topology === undefined || breaker === undefined || this.#closed) return;
    try {
      if (!this.#connected) {
        // The first connection attempt failed outright (node-redis gives up on some first-connect
        // errors instead of retrying), or is still hanging on a paused server.
        await withTimeout(this.#open(), this.config.connectTimeoutMs, 'connect');
      }
      const recovering = breaker.state !== 'closed' || this.#state === 'connecting';
      // A little over the command timeout: Cluster bounds each master's answer by it.
      await withTimeout(
        topology.probe(recovering ? 'all' : 'any'),
        this.config.commandTimeoutMs + 50,
        'PING',
      );
      if (this.#closed) return; // closed while the probe was out: no more state changes
      if (recovering) {
        await this.#subscriptions?.restore(this.config.connectTimeoutMs);
        if (this.#closed) return;
        breaker.close();
        this.#setState('ready', '');
      }
    } catch (error) {
      breaker.trip(`health check failed: ${errorMessage(error)}`);
    }
  }

  /** Opens the topology's connections; concurrent callers share one attempt. */
  #open(): Promise<void> {
    this.#opening ??= this.#topology!.connect()
      .then(() => {
        this.#connected = true;
      })
      .finally(() => {
        this.#opening = undefined;
      });
    return this.#opening;
  }

  /** A failover moved the master or the slot map: check now rather than at the next interval. */
  #onTopologyChanged(reason: string): void {
    if (this.#closed) return;
    this.#logger.info({ topology: this.mode, reason }, 'Redis topology changed');
    void this.#probe().then(async () => {
      if (this.#state !== 'ready' || this.#closed) return;
      // Usually a no-op: the clients move subscriptions themselves; this repairs any they dropped.
      await this.#subscriptions?.restore().catch((error: unknown) => {
        this.#logger.warn({ err: errorMessage(error) }, 'subscriptions not restored after a topology change');
      });
      if (!this.#closed) this.emit('topology', { reason });
    });
  }

  #onBreaker(state: BreakerState, reason: string): void {
    if (state !== 'open') return;
    const wasDegraded = this.#state === 'degraded';
    if (!wasDegraded) this.#silent = true;
    this.#setState('degraded', reason);
    // The return probe starts now rather than at the next health check (or, if a check is
    // running, as soon as it ends).
    if (!wasDegraded) this.#schedule();
  }

  #setState(state: LayerState, reason: string): void {
    const previous = this.#state;
    if (previous === state) {
      this.#reason = reason;
      return;
    }
    this.#state = state;
    this.#reason = reason;
    if (state === 'degraded') {
      this.#logger.warn(
        { topology: this.mode, reason },
        'Redis unavailable: running degraded on in-process fallbacks',
      );
    } else if (state === 'ready') {
      this.#logger.info({ topology: this.mode, after: previous }, 'Redis available');
      this.#silent = false;
      this.#returning = false;
    }
    this.emit('state', { state, previous, reason });
  }
}

function createTopology(config: RedisConfig, events: TopologyEvents, logger: Logger, keys: Keys): Topology {
  switch (config.mode) {
    case 'single':
      return new SingleTopology(config, events);
    case 'sentinel':
      return new SentinelTopology(config, events);
    case 'cluster':
      if (!config.fallbackToSingle) return new ClusterTopology(clusterConfig(config), events);
      return new FallbackTopology(
        (clusterEvents) => new ClusterTopology(clusterConfig(config), clusterEvents),
        (singleEvents) => new SingleTopology(config, singleEvents),
        events,
        {
          timeoutMs: config.failoverTimeoutMs,
          checkMs: config.healthCheckIntervalMs,
          commandTimeoutMs: config.commandTimeoutMs,
          connectTimeoutMs: config.connectTimeoutMs,
          keys: { marker: keys.redis.fallback(), downReport: keys.redis.fallbackDown() },
          single: singleAddress(config),
          logger,
        },
      );
    case 'rest':
      return new RestTopology(config, events);
    case 'memory':
      throw new Error('memory mode has no topology');
  }
}

/** The Cluster's nodes authenticate with REDIS_CLUSTER_PASSWORD when it is set (seed 003). */
function clusterConfig(config: RedisConfig): RedisConfig {
  return config.clusterPassword === undefined ? config : { ...config, password: config.clusterPassword };
}

/** host:port of the single node, never the URL, which may carry a password. */
function singleAddress(config: RedisConfig): string | undefined {
  return config.url === undefined ? undefined : new URL(config.url).host;
}
