/**
 * REDIS_FALLBACK_TO_SINGLE (seed 003): Cluster mode with a single node to use instead while the
 * Cluster is down, shared by every instance so that their state stays shared.
 *
 * Agreement: the instances agree through a marker kept on the single node (fallback-marker.ts).
 * Present: every instance uses the single node. Absent: every instance uses the Cluster. Each
 * instance reads it at startup and every REDIS_HEALTH_INTERVAL_MS, and follows it, whatever its
 * own view of the Cluster: an instance that still reaches the Cluster switches to the single node
 * as soon as it reads the marker, so a split lasts at most one check interval (plus the command
 * timeout), never until a restart.
 *
 * - To the single node: an instance on the Cluster that finds it down (a master not answering,
 *   or cluster_state:fail) at every check for REDIS_FAILOVER_TIMEOUT_MS — at startup, or while
 *   running — sets the marker (SET NX) and switches. A normal Cluster failover (a few seconds)
 *   stays below the default 10 s and causes no switch.
 * - Back to the Cluster: an instance on the single node that finds the Cluster whole at every
 *   check for REDIS_FAILOVER_TIMEOUT_MS removes the marker, unless an instance that still cannot
 *   use the Cluster reported so (the down report, refreshed at each of its checks); every
 *   instance then returns at its next check. An operator can force either way by setting or
 *   deleting the marker key (docs/operations.md).
 * - Without the single node nothing switches: the marker can be neither read nor written, so an
 *   instance stays where it is (degraded if that side is down too).
 *
 * A switch tells the layer through `changed`: it probes the new side at once, re-applies the
 * subscriptions there and emits `topology`, which drops the in-process copies (they hold the
 * other store's values). Nothing is copied between the two stores (docs/operations.md says what
 * that means for data written during the switch). Only the active topology's events reach the
 * layer, so the side not in use cannot degrade it.
 */
import { hostname } from 'node:os';
import type { Logger } from '../../logger.js';
import type { MessageListener } from '../store.js';
import { errorMessage, withTimeout } from './client-options.js';
import { FallbackMarker, type MarkerKeys } from './fallback-marker.js';
import type {
  NodeStatus,
  NodeTarget,
  ProbeMode,
  RedisArg,
  SendOptions,
  Topology,
  TopologyEvents,
} from './topology.js';

export interface FallbackOptions {
  /** REDIS_FAILOVER_TIMEOUT_MS: how long one side must look down (or whole) before a switch. */
  timeoutMs: number;
  /** REDIS_HEALTH_INTERVAL_MS: how often the marker and the Cluster are checked. */
  checkMs: number;
  /** REDIS_COMMAND_TIMEOUT_MS: bounds each marker call and each Cluster check. */
  commandTimeoutMs: number;
  /** REDIS_CONNECT_TIMEOUT_MS: bounds a Cluster connection attempt. */
  connectTimeoutMs: number;
  /** Where the marker and the down report live on the single node (keys.ts). */
  keys: MarkerKeys;
  /** host:port of the single node, for the log lines. */
  single: string | undefined;
  logger: Logger;
}

export class FallbackTopology implements Topology {
  readonly #cluster: Topology;
  readonly #single: Topology;
  readonly #marker: FallbackMarker;
  readonly #events: TopologyEvents;
  readonly #options: FallbackOptions;
  /** Written into the marker and the down report: who decided. */
  readonly #self = `${hostname()}:${process.pid}`;
  #active: Topology;
  #started = false;
  #closed = false;
  #clusterOpen = false;
  #clusterOpening: Promise<void> | undefined;
  /** performance.now() of the first of the consecutive checks that found the Cluster down / whole. */
  #downSince: number | undefined;
  #wholeSince: number | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    createCluster: (events: TopologyEvents) => Topology,
    createSingle: (events: TopologyEvents) => Topology,
    events: TopologyEvents,
    options: FallbackOptions,
  ) {
    this.#events = events;
    this.#options = options;
    this.#cluster = createCluster({
      lost: (reason) => this.#active === this.#cluster && events.lost(reason),
      changed: (reason) => this.#active === this.#cluster && events.changed(reason),
    });
    // Made now, not at the switch: building a client is slow the first time (bare-client.ts).
    this.#single = createSingle({
      lost: (reason) => this.#active === this.#single && events.lost(reason),
      changed: (reason) => this.#active === this.#single && events.changed(reason),
    });
    this.#marker = new FallbackMarker(this.#single, options.keys, options.commandTimeoutMs);
    this.#active = this.#cluster;
  }

  get name(): Topology['name'] {
    return this.#active.name;
  }

  /** True while the deployment runs on the single node (the marker is followed). */
  get onSingle(): boolean {
    return this.#active === this.#single;
  }

  async connect(): Promise<void> {
    if (this.#started) {
      if (this.#active === this.#cluster) return this.#connectCluster();
      return this.#single.connect();
    }
    this.#started = true;
    // The Cluster is tried meanwhile; the marker, when it can be read, decides first.
    const cluster = withTimeout(this.#clusterWhole(), this.#options.timeoutMs, 'the Cluster').then(
      () => undefined,
      (error: unknown) => error,
    );
    await withTimeout(this.#single.connect(), this.#options.connectTimeoutMs, 'the single node').catch(
      () => {},
    );
    const marker = await this.#marker.read();
    if (marker.state === 'set') {
      this.#active = this.#single;
      this.#options.logger.warn(
        { single: this.#options.single, marker: marker.value },
        'REDIS_FALLBACK_TO_SINGLE: the deployment runs on the single node (marker set); this instance joins it',
      );
    } else {
      const failure = await cluster;
      if (failure !== undefined) {
        await this.#toSingle(`the Cluster did not answer at startup: ${errorMessage(failure)}`, false);
      }
    }
    this.#schedule();
    if (this.#active === this.#single) await this.#single.connect();
    else await this.#connectCluster();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await Promise.allSettled([this.#cluster.close(), this.#single.close()]);
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      void this.#check().finally(() => this.#schedule());
    }, this.#options.checkMs);
    this.#timer.unref();
  }

  /** One check: follow the marker; set it or clear it when one side has been down or whole long enough. */
  async #check(): Promise<void> {
    const marker = await this.#marker.read();
    if (this.#closed) return;
    if (marker.state === 'unknown') {
      // The single node does not answer: nothing can be agreed, so nothing changes. A first
      // connection that failed outright is not retried by node-redis: start a fresh one.
      this.#single.reconnectNow();
      return;
    }
    const now = performance.now();
    if (this.#active === this.#cluster) {
      if (marker.state === 'set') {
        this.#switch(this.#single, `marker set by ${marker.value?.by} (${marker.value?.reason})`);
        return;
      }
      if (await this.#clusterAnswers()) {
        this.#downSince = undefined;
        return;
      }
      this.#downSince ??= now;
      if (now - this.#downSince >= this.#options.timeoutMs) {
        await this.#toSingle(`the Cluster has been down for ${Math.round(now - this.#downSince)} ms`, true);
      }
      return;
    }
    if (marker.state === 'absent') {
      this.#switch(this.#cluster, 'the marker was removed');
      return;
    }
    if (!(await this.#clusterAnswers())) {
      this.#wholeSince = undefined;
      await this.#marker.reportDown(this.#self, 3 * this.#options.checkMs + this.#options.commandTimeoutMs);
      return;
    }
    this.#wholeSince ??= now;
    if (now - this.#wholeSince >= this.#options.timeoutMs && (await this.#marker.clear())) {
      this.#switch(this.#cluster, `the Cluster has been whole for ${Math.round(now - this.#wholeSince)} ms`);
    }
  }

  /** Sets the marker and switches; without the marker (single node silent) nothing changes. */
  async #toSingle(reason: string, running: boolean): Promise<void> {
    const set = await this.#marker.set({ by: this.#self, at: new Date().toISOString(), reason });
    if (!set) {
      this.#options.logger.warn(
        { single: this.#options.single, reason },
        'REDIS_FALLBACK_TO_SINGLE: the Cluster is down but the single node does not answer: staying on the Cluster',
      );
      return;
    }
    if (running) this.#switch(this.#single, reason);
    else {
      this.#active = this.#single;
      this.#options.logger.warn(
        { single: this.#options.single, reason },
        'REDIS_FALLBACK_TO_SINGLE: the deployment now runs on the single node',
      );
    }
  }

  #switch(to: Topology, reason: string): void {
    if (this.#active === to || this.#closed) return;
    this.#active = to;
    this.#downSince = undefined;
    this.#wholeSince = undefined;
    const where = to === this.#single ? 'single node' : 'Cluster';
    this.#options.logger.warn(
      { single: this.#options.single, reason },
      `REDIS_FALLBACK_TO_SINGLE: switching to the ${where}`,
    );
    this.#events.changed(`REDIS_FALLBACK_TO_SINGLE: now on the ${where} (${reason})`);
  }

  /** Every master answers and the Cluster says it is whole, within the command timeout. */
  async #clusterAnswers(): Promise<boolean> {
    try {
      await withTimeout(this.#clusterWhole(), this.#options.connectTimeoutMs, 'the Cluster');
      return true;
    } catch {
      return false;
    }
  }

  async #clusterWhole(): Promise<void> {
    await this.#connectCluster();
    await withTimeout(this.#cluster.probe('all'), this.#options.commandTimeoutMs + 50, 'CLUSTER INFO');
  }

  /** One connection attempt at a time; a failed one is tried again by the next caller. */
  #connectCluster(): Promise<void> {
    if (this.#clusterOpen) return Promise.resolve();
    // A check still running when the layer closes must not open connections again.
    if (this.#closed) return Promise.reject(new Error('closed'));
    this.#clusterOpening ??= this.#cluster
      .connect()
      .then(() => {
        this.#clusterOpen = true;
      })
      .finally(() => {
        this.#clusterOpening = undefined;
      });
    return this.#clusterOpening;
  }

  send(args: RedisArg[], options: SendOptions): Promise<unknown> {
    return this.#active.send(args, options);
  }

  nodeFor(key: string | undefined): string {
    return this.#active.nodeFor(key);
  }

  masters(): NodeTarget[] {
    return this.#active.masters();
  }

  publish(channel: string, message: string): Promise<number> {
    return this.#active.publish(channel, message);
  }

  subscribe(channel: string, listener: MessageListener, pattern: boolean): Promise<void> {
    return this.#active.subscribe(channel, listener, pattern);
  }

  unsubscribe(channel: string, listener: MessageListener, pattern: boolean): Promise<void> {
    return this.#active.unsubscribe(channel, listener, pattern);
  }

  probe(mode: ProbeMode): Promise<void> {
    return this.#active.probe(mode);
  }

  returnTargets(): string[] {
    return this.#active.returnTargets();
  }

  reconnectNow(): void {
    this.#active.reconnectNow();
  }

  noteFailure(node: string): void {
    this.#active.noteFailure?.(node);
  }

  nodes(timeoutMs: number): Promise<NodeStatus[]> {
    return this.#active.nodes(timeoutMs);
  }
}
