/**
 * REDIS_FALLBACK_TO_SINGLE (seed 003): Cluster mode with a single node to use instead when the
 * Cluster does not answer at startup.
 *
 * The first connection decides, once: if within REDIS_FAILOVER_TIMEOUT_MS the Cluster accepts
 * the connection and every master reports cluster_state:ok, the process uses the Cluster;
 * otherwise it closes the Cluster client and uses the single node of REDIS_URL (REDIS_HOST /
 * REDIS_PORT) until it exits, reconnecting to that node like any single-node deployment. It never
 * switches while running, nor back: each switch would leave this instance's data on one side and
 * other instances' on the other, so the only split is the one an operator can see (a warning at
 * startup, `topology: single` in /api/1/health) and end by restarting the instance.
 *
 * Only the active topology's events reach the layer, so a Cluster client being torn down cannot
 * degrade a layer that already runs on the single node.
 */
import type { Logger } from '../../logger.js';
import type { MessageListener } from '../store.js';
import { errorMessage, withTimeout } from './client-options.js';
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
  /** REDIS_FAILOVER_TIMEOUT_MS: how long the Cluster has to answer at startup. */
  timeoutMs: number;
  /** host:port of the single node, for the log line. */
  single: string | undefined;
  logger: Logger;
}

export class FallbackTopology implements Topology {
  readonly #cluster: Topology;
  readonly #createSingle: (events: TopologyEvents) => Topology;
  readonly #events: TopologyEvents;
  readonly #options: FallbackOptions;
  #active: Topology;
  #decided = false;

  constructor(
    createCluster: (events: TopologyEvents) => Topology,
    createSingle: (events: TopologyEvents) => Topology,
    events: TopologyEvents,
    options: FallbackOptions,
  ) {
    this.#events = events;
    this.#options = options;
    this.#createSingle = createSingle;
    this.#cluster = createCluster({
      lost: (reason) => this.#active === this.#cluster && events.lost(reason),
      changed: (reason) => this.#active === this.#cluster && events.changed(reason),
    });
    this.#active = this.#cluster;
  }

  get name(): Topology['name'] {
    return this.#active.name;
  }

  async connect(): Promise<void> {
    if (this.#decided) return this.#active.connect();
    this.#decided = true;
    try {
      await withTimeout(this.#clusterWhole(), this.#options.timeoutMs, 'the Cluster');
    } catch (error) {
      this.#options.logger.warn(
        { single: this.#options.single, reason: errorMessage(error) },
        'Redis Cluster unreachable at startup: this instance uses the single node (REDIS_FALLBACK_TO_SINGLE) until it restarts',
      );
      const cluster = this.#cluster;
      this.#active = this.#createSingle(this.#events);
      void cluster.close();
      await this.#active.connect();
    }
  }

  async #clusterWhole(): Promise<void> {
    await this.#cluster.connect();
    await this.#cluster.probe('all');
  }

  /** After a switch the Cluster client is already closing; only the active topology is left. */
  close(): Promise<void> {
    return this.#active.close();
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
