/**
 * Redis Cluster: node-redis keeps the slot map and follows MOVED/ASK. Pub/sub is sharded
 * (SPUBLISH/SSUBSCRIBE): a message goes only to the shard that owns the channel's slot. Pattern
 * subscriptions cannot be sharded, so they are refused on Cluster with PLEXUS_UNSUPPORTED.
 *
 * Failover: until the client learns the new slot map it keeps sending a failed master's slots to
 * it. The layer reports every availability failure here (`noteFailure`), and `SlotMapRefresher`
 * (cluster-refresh.ts) re-reads the map until the replica's promotion shows; `changed` then tells
 * the layer, which probes at once. A change node-redis made on its own (after MOVED, or when a
 * sharded channel moved in a graceful failover) is noticed by the next probe, which compares the
 * masters with the last ones it saw, and reported the same way.
 *
 * Back from an outage, `reconnectNow()` replaces the connections still in their back-off (see
 * single.ts), so the layer does not wait for node-redis's next attempt.
 *
 * One master down does not degrade a ready layer (the other slots still work, until the cluster
 * itself declares cluster_state:fail); leaving `degraded` needs every master to answer and report
 * cluster_state:ok, so the layer does not flap while part of the cluster is down.
 */
import { createCluster } from 'redis';
import type { RedisConfig } from '../../config/redis.js';
import { UnsupportedError } from '../../errors.js';
import type { MessageListener } from '../store.js';
import { errorMessage, nodeClientOptions, withTimeout } from './client-options.js';
import { SlotMapRefresher } from './cluster-refresh.js';
import { NodePingers } from './pingers.js';
import { BUFFER_REPLIES, closeClient, pingNode, retire } from './single.js';
import { hashSlot } from './slot.js';
import type {
  NodeStatus,
  NodeTarget,
  ProbeMode,
  RedisArg,
  SendOptions,
  Topology,
  TopologyEvents,
} from './topology.js';

type Cluster = ReturnType<typeof createCluster>;

export class ClusterTopology implements Topology {
  readonly name = 'cluster' as const;
  readonly #cluster: Cluster;
  readonly #timeoutMs: number;
  readonly #pingers: NodePingers;
  readonly #refresher: SlotMapRefresher;
  readonly #events: TopologyEvents;
  /** The masters as of the last probe or reported change (addresses, sorted). */
  #lastMasters: string | undefined;

  constructor(
    private readonly config: RedisConfig,
    events: TopologyEvents,
  ) {
    this.#events = events;
    this.#timeoutMs = config.commandTimeoutMs;
    this.#pingers = new NodePingers(config);
    this.#cluster = createCluster({
      rootNodes: config.clusterNodes.map(({ host, port }) => ({ socket: { host, port } })),
      defaults: nodeClientOptions(config),
      commandOptions: { timeout: 0 },
      useReplicas: false,
      // Off: its refresh may pick a paused node as source and hang; SlotMapRefresher does it.
      topologyRefreshOnReconnectionAttemptStrategy: false,
    });
    const cluster = this.#cluster;
    this.#refresher = new SlotMapRefresher(
      {
        get masters() {
          return cluster.masters;
        },
        // Only the source's socket options are read (`startWith.options`), as for a MOVED reply.
        rediscover: (source) =>
          cluster._slots.rediscover({ options: { socket: source } } as unknown as Parameters<
            Cluster['_slots']['rediscover']
          >[0]),
      },
      this.#pingers,
      config,
      (reason) => {
        this.#lastMasters = this.#mastersView();
        events.changed(reason);
      },
    );
    this.#cluster.on('error', () => {
      // Node failures are reported by probe() and nodes(); this listener keeps node from crashing.
    });
  }

  async connect(): Promise<void> {
    await this.#cluster.connect();
  }

  async close(): Promise<void> {
    this.#refresher.close();
    await Promise.allSettled([closeClient(this.#cluster), this.#pingers.close()]);
  }

  send(args: RedisArg[], options: SendOptions): Promise<unknown> {
    return options.buffers
      ? this.#cluster.sendCommand(options.key, options.readonly, args, BUFFER_REPLIES)
      : this.#cluster.sendCommand(options.key, options.readonly, args);
  }

  nodeFor(key: string | undefined): string {
    if (key === undefined) return 'any';
    return this.#cluster.slots[hashSlot(key)]?.master.address ?? 'unknown';
  }

  masters(): NodeTarget[] {
    return this.#cluster.masters.map((master) => ({
      address: master.address,
      send: async (args) => (await this.#cluster.nodeClient(master)).sendCommand(args),
    }));
  }

  async publish(channel: string, message: string): Promise<number> {
    return (await this.#cluster.sendCommand(channel, false, ['SPUBLISH', channel, message])) as number;
  }

  async subscribe(channel: string, listener: MessageListener, pattern: boolean): Promise<void> {
    if (pattern) {
      throw new UnsupportedError(
        'Pattern subscriptions are not available with sharded pub/sub on Redis Cluster',
      );
    }
    await this.#cluster.sSubscribe(channel, listener);
  }

  async unsubscribe(channel: string, listener: MessageListener): Promise<void> {
    await this.#cluster.sUnsubscribe(channel, listener);
  }

  returnTargets(): string[] {
    const masters = this.#cluster.masters.map((m) => m.address);
    if (masters.length > 0) return masters;
    return this.config.clusterNodes.map(({ host, port }) => `${host}:${port}`);
  }

  /**
   * Drops every master connection (and sharded subscriber) still waiting to reconnect: the next
   * call to that master, the layer's probe first, opens a fresh one at once; subscriptions are
   * made again by the layer's restore on its way to ready.
   */
  reconnectNow(): void {
    for (const master of this.#cluster.masters) {
      const client = master.client;
      if (client !== undefined && !client.isReady) {
        // Its connect attempt fails when the client is destroyed, and nothing waits for it any
        // more: an unhandled rejection would end the process (src/cli/serve.ts).
        master.connectPromise?.catch(() => {});
        master.client = undefined;
        master.connectPromise = undefined;
        retire(client);
      }
      const pubSub = master.pubSub;
      if (pubSub !== undefined && !pubSub.client.isReady) {
        pubSub.connectPromise?.catch(() => {});
        master.pubSub = undefined;
        retire(pubSub.client);
      }
    }
  }

  noteFailure(node: string): void {
    // 'any' (a keyless command) and 'unknown' (no owner in the map yet) name no node to suspect.
    this.#refresher.failed(node === 'any' || node === 'unknown' ? undefined : node);
  }

  async probe(mode: ProbeMode): Promise<void> {
    const masters = this.masters();
    if (masters.length === 0) throw new Error('no master known');
    const view = this.#mastersView();
    const previous = this.#lastMasters;
    this.#lastMasters = view;
    if (previous !== undefined && view !== previous) this.#events.changed(`masters are now ${view}`);
    // CLUSTER INFO also says whether the cluster serves every slot; PING is enough for `any`.
    const command = mode === 'all' ? ['CLUSTER', 'INFO'] : ['PING'];
    const results = await Promise.allSettled(
      masters.map((m) => withTimeout(m.send(command), this.#timeoutMs, `${command[0]} ${m.address}`)),
    );
    let failure: unknown;
    let answered = 0;
    results.forEach((result, i) => {
      const address = masters[i]!.address;
      if (result.status === 'rejected') {
        failure ??= new Error(`${address}: ${errorMessage(result.reason)}`);
        this.noteFailure(address);
        return;
      }
      this.#refresher.answered(address);
      answered++;
      if (mode === 'all' && !String(result.value).includes('cluster_state:ok')) {
        failure ??= new Error(`${address} reports cluster_state:fail`);
      }
    });
    if (answered === 0 || (mode === 'all' && failure !== undefined)) throw failure;
  }

  #mastersView(): string {
    return this.#cluster.masters
      .map((m) => m.address)
      .sort()
      .join(',');
  }

  /** Every node of the cluster (CLUSTER NODES of a master that answers), failed ones included. */
  async nodes(timeoutMs: number): Promise<NodeStatus[]> {
    const clients = new Map(this.#cluster.masters.map((m) => [m.address, m]));
    const listed = await this.#clusterNodes(timeoutMs);
    const nodes = listed ?? [...clients.keys()].map((address) => ({ address, role: 'master' as const }));
    const auth = { username: this.config.username, password: this.config.password };
    return Promise.all(
      nodes.map(({ address, role }) => {
        const master = clients.get(address);
        if (master === undefined) {
          return pingNode(address, role, () => this.#pingers.send(address, ['PING'], auth), timeoutMs, {
            run: () => this.#pingers.connect(address, auth),
            timeoutMs: this.config.connectTimeoutMs,
          });
        }
        return pingNode(
          address,
          role,
          async () => (await this.#cluster.nodeClient(master)).sendCommand(['PING']),
          timeoutMs,
          { run: () => this.#cluster.nodeClient(master), timeoutMs: this.config.connectTimeoutMs },
        );
      }),
    );
  }

  async #clusterNodes(
    timeoutMs: number,
  ): Promise<{ address: string; role: NodeStatus['role'] }[] | undefined> {
    for (const master of this.masters()) {
      try {
        const text = String(await withTimeout(master.send(['CLUSTER', 'NODES']), timeoutMs, 'CLUSTER NODES'));
        // <id> <ip:port@bus[,hostname]> <flags> <master id> ...
        return text
          .split('\n')
          .map((line) => line.split(' '))
          .filter((fields) => fields.length > 2 && !fields[2]!.includes('noaddr'))
          .map((fields) => ({
            address: fields[1]!.split('@')[0]!,
            role: fields[2]!.split(',').includes('master') ? ('master' as const) : ('replica' as const),
          }));
      } catch {
        // Ask the next master.
      }
    }
    return undefined;
  }
}
