/**
 * Sentinel: node-redis discovers the master through the sentinels and follows failovers
 * (+switch-master), re-pointing both the command pool and the pub/sub connection.
 * Only errors of the master connection trip the breaker; a sentinel or replica going away is
 * reported in health() but does not degrade the layer.
 */
import { createClient, createSentinel } from 'redis';
import type { RedisConfig } from '../../config/redis.js';
import type { MessageListener } from '../store.js';
import { errorMessage, nodeClientOptions } from './client-options.js';
import { BUFFER_REPLIES, closeClient, pingNode } from './single.js';
import type { NodeStatus, NodeTarget, RedisArg, SendOptions, Topology, TopologyEvents } from './topology.js';

type Sentinel = ReturnType<typeof createSentinel>;
type Client = ReturnType<typeof createClient>;
type SentinelListener = Parameters<Sentinel['subscribe']>[1];

interface ClientErrorEvent {
  type: string;
  node?: { host: string; port: number };
  error?: unknown;
}

export class SentinelTopology implements Topology {
  readonly name = 'sentinel' as const;
  readonly #sentinel: Sentinel;
  /** Short-lived health connections to sentinels and replicas, one per address, kept for reuse. */
  readonly #pingers = new Map<string, Client>();

  constructor(
    private readonly config: RedisConfig,
    events: TopologyEvents,
  ) {
    const node = nodeClientOptions(config);
    this.#sentinel = createSentinel({
      name: config.sentinelMaster,
      sentinelRootNodes: config.sentinels.map(({ host, port }) => ({ host, port })),
      nodeClientOptions: { ...node, ...(config.db === 0 ? {} : { database: config.db }) },
      sentinelClientOptions: {
        ...(config.sentinelUsername === undefined ? {} : { username: config.sentinelUsername }),
        ...(config.sentinelPassword === undefined ? {} : { password: config.sentinelPassword }),
        socket: { connectTimeout: config.connectTimeoutMs },
      },
      masterPoolSize: 1,
      passthroughClientErrorEvents: true,
      scanInterval: 1000,
    });
    this.#sentinel.on('error', () => {
      // Errors are surfaced through client-error below; this listener keeps node from crashing.
    });
    this.#sentinel.on('client-error', (event: ClientErrorEvent) => {
      if (event.type === 'MASTER') events.lost(`master connection: ${errorMessage(event.error)}`);
    });
  }

  async connect(): Promise<void> {
    await this.#sentinel.connect();
  }

  async close(): Promise<void> {
    await Promise.allSettled([closeClient(this.#sentinel), ...[...this.#pingers.values()].map(closeClient)]);
  }

  send(args: RedisArg[], options: SendOptions): Promise<unknown> {
    return options.buffers
      ? this.#sentinel.sendCommand(options.readonly, args, BUFFER_REPLIES)
      : this.#sentinel.sendCommand(options.readonly, args);
  }

  nodeFor(): string {
    const master = this.#sentinel.getMasterNode();
    return master === undefined ? 'unknown' : `${master.host}:${master.port}`;
  }

  masters(): NodeTarget[] {
    return [{ address: this.nodeFor(), send: (args) => this.#sentinel.sendCommand(false, args) }];
  }

  async publish(channel: string, message: string): Promise<number> {
    return (await this.#sentinel.sendCommand(false, ['PUBLISH', channel, message])) as number;
  }

  async subscribe(channel: string, listener: MessageListener, pattern: boolean): Promise<void> {
    const own = listener as SentinelListener;
    await (pattern ? this.#sentinel.pSubscribe(channel, own) : this.#sentinel.subscribe(channel, own));
  }

  async unsubscribe(channel: string, listener: MessageListener, pattern: boolean): Promise<void> {
    const own = listener as SentinelListener;
    await (pattern ? this.#sentinel.pUnsubscribe(channel, own) : this.#sentinel.unsubscribe(channel, own));
  }

  async probe(): Promise<void> {
    await this.#sentinel.sendCommand(false, ['PING']);
  }

  async nodes(timeoutMs: number): Promise<NodeStatus[]> {
    const master = this.#sentinel.getMasterNode();
    const replicas = [...this.#sentinel.getReplicaNodes().keys()];
    const checks: Promise<NodeStatus>[] = [];
    if (master !== undefined) {
      checks.push(pingNode(`${master.host}:${master.port}`, 'master', () => this.probe(), timeoutMs));
    }
    for (const replica of replicas)
      checks.push(this.#ping(`${replica.host}:${replica.port}`, 'replica', timeoutMs));
    for (const sentinel of this.config.sentinels) {
      checks.push(this.#ping(`${sentinel.host}:${sentinel.port}`, 'sentinel', timeoutMs));
    }
    return Promise.all(checks);
  }

  #ping(address: string, role: NodeStatus['role'], timeoutMs: number): Promise<NodeStatus> {
    return pingNode(
      address,
      role,
      async () => {
        let client = this.#pingers.get(address);
        if (client === undefined) {
          const [host, port] = splitAddress(address);
          const auth =
            role === 'sentinel'
              ? { username: this.config.sentinelUsername, password: this.config.sentinelPassword }
              : { username: this.config.username, password: this.config.password };
          client = createClient({
            ...(auth.username === undefined ? {} : { username: auth.username }),
            ...(auth.password === undefined ? {} : { password: auth.password }),
            disableOfflineQueue: true,
            commandOptions: { timeout: 0 },
            socket: { host, port, connectTimeout: timeoutMs, reconnectStrategy: 500 },
          });
          client.on('error', () => {});
          this.#pingers.set(address, client);
          client.connect().catch(() => {});
        }
        return client.sendCommand(['PING']);
      },
      timeoutMs,
    );
  }
}

function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), Number(address.slice(at + 1))];
}
