/**
 * Redis Cluster: node-redis keeps the slot map and follows MOVED/ASK; a node that keeps failing
 * to reconnect triggers a topology refresh after `TOPOLOGY_REFRESH_MS`, which is what picks up a
 * promoted replica quickly. Pub/sub is sharded (SPUBLISH/SSUBSCRIBE): a message goes only to the
 * shard that owns the channel's slot. Pattern subscriptions cannot be sharded, so they are refused
 * on Cluster with PLEXUS_UNSUPPORTED. One master being down does not degrade the layer (the other
 * slots still work); the layer degrades when no master answers.
 */
import { createCluster } from 'redis';
import type { RedisConfig } from '../../config/redis.js';
import { UnsupportedError } from '../../errors.js';
import type { MessageListener } from '../store.js';
import { nodeClientOptions } from './client-options.js';
import { BUFFER_REPLIES, closeClient, pingNode } from './single.js';
import { hashSlot } from './slot.js';
import type { NodeStatus, NodeTarget, RedisArg, SendOptions, Topology } from './topology.js';

type Cluster = ReturnType<typeof createCluster>;

/** Delay after a node's first failed reconnection before the slot map is refreshed. */
const TOPOLOGY_REFRESH_MS = 200;

export class ClusterTopology implements Topology {
  readonly name = 'cluster' as const;
  readonly #cluster: Cluster;

  constructor(config: RedisConfig) {
    const node = nodeClientOptions(config);
    this.#cluster = createCluster({
      rootNodes: config.clusterNodes.map(({ host, port }) => ({ socket: { host, port } })),
      defaults: node,
      commandOptions: { timeout: 0 },
      useReplicas: false,
      topologyRefreshOnReconnectionAttemptStrategy: TOPOLOGY_REFRESH_MS,
    });
    this.#cluster.on('error', () => {
      // Node failures are reported by probe() and nodes(); this listener keeps node from crashing.
    });
  }

  async connect(): Promise<void> {
    await this.#cluster.connect();
  }

  async close(): Promise<void> {
    await closeClient(this.#cluster);
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

  async probe(): Promise<void> {
    const results = await Promise.allSettled(this.masters().map((m) => m.send(['PING'])));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (results.length === 0 || failed.length === results.length) {
      throw failed[0]?.reason ?? new Error('no master known');
    }
  }

  async nodes(timeoutMs: number): Promise<NodeStatus[]> {
    const nodes = [
      ...this.#cluster.masters.map((n) => ({ node: n, role: 'master' as const })),
      ...this.#cluster.replicas.map((n) => ({ node: n, role: 'replica' as const })),
    ];
    return Promise.all(
      nodes.map(({ node, role }) =>
        pingNode(
          node.address,
          role,
          async () => (await this.#cluster.nodeClient(node)).sendCommand(['PING']),
          timeoutMs,
        ),
      ),
    );
  }
}
