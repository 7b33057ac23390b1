/**
 * Sentinel: node-redis discovers the master through the sentinels and follows failovers
 * (+switch-master), re-pointing both the command connection and the pub/sub connection.
 *
 * Errors of the master connection trip the breaker at once (node-redis reports them only as
 * `error` events when `passthroughClientErrorEvents` is on; its `client-error` event is not
 * forwarded by the public client). A master change tells the layer (`changed`), which probes at
 * once instead of waiting up to a second for its next health check. A sentinel or replica going
 * away is reported in health() but does not degrade the layer.
 */
import { createSentinel } from 'redis';
import type { RedisConfig } from '../../config/redis.js';
import type { MessageListener } from '../store.js';
import { errorMessage, nodeClientOptions, withTimeout } from './client-options.js';
import { NodePingers } from './pingers.js';
import { BUFFER_REPLIES, closeClient, pingNode } from './single.js';
import type { NodeStatus, NodeTarget, RedisArg, SendOptions, Topology, TopologyEvents } from './topology.js';

type Sentinel = ReturnType<typeof createSentinel>;
type SentinelListener = Parameters<Sentinel['subscribe']>[1];

export class SentinelTopology implements Topology {
  readonly name = 'sentinel' as const;
  readonly #sentinel: Sentinel;
  readonly #pingers: NodePingers;

  constructor(
    private readonly config: RedisConfig,
    events: TopologyEvents,
  ) {
    const node = nodeClientOptions(config);
    this.#pingers = new NodePingers(config);
    this.#sentinel = createSentinel({
      name: config.sentinelMaster,
      sentinelRootNodes: config.sentinels.map(({ host, port }) => ({ host, port })),
      nodeClientOptions: { ...node, ...(config.db === 0 ? {} : { database: config.db }) },
      sentinelClientOptions: {
        ...this.#sentinelAuth(),
        socket: { connectTimeout: config.connectTimeoutMs },
      },
      // The sentinel client has its own per-command timeout (5 s by default), which costs a
      // timer per command; the executor applies the layer's timeout instead.
      commandOptions: { timeout: 0 },
      masterPoolSize: 1,
      passthroughClientErrorEvents: true,
      scanInterval: 1000,
    });
    this.#sentinel.on('error', (error: unknown) => {
      const message = errorMessage(error);
      if (message.startsWith('Master Client')) events.lost(`master connection: ${message}`);
    });
    this.#sentinel.on('topology-change', (event: { type: string; node?: { host: string; port: number } }) => {
      if (event.type === 'MASTER_CHANGE' && event.node !== undefined) {
        events.changed(`master is now ${event.node.host}:${event.node.port}`);
      }
    });
  }

  async connect(): Promise<void> {
    await this.#sentinel.connect();
  }

  async close(): Promise<void> {
    await Promise.allSettled([closeClient(this.#sentinel), this.#pingers.close()]);
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

  /** The master, every replica the sentinels know of, and every configured sentinel. */
  async nodes(timeoutMs: number): Promise<NodeStatus[]> {
    const checks: Promise<NodeStatus>[] = [];
    const master = this.#sentinel.getMasterNode();
    if (master !== undefined) {
      checks.push(pingNode(`${master.host}:${master.port}`, 'master', () => this.probe(), timeoutMs));
    }
    const dataAuth = { username: this.config.username, password: this.config.password };
    for (const replica of await this.#replicas(timeoutMs)) {
      checks.push(
        pingNode(
          replica,
          'replica',
          () => this.#pingers.send(replica, ['PING'], dataAuth),
          timeoutMs,
          () => this.#pingers.connect(replica, dataAuth),
        ),
      );
    }
    for (const { host, port } of this.config.sentinels) {
      const address = `${host}:${port}`;
      checks.push(
        pingNode(
          address,
          'sentinel',
          () => this.#pingers.send(address, ['PING'], this.#sentinelAuth()),
          timeoutMs,
          () => this.#pingers.connect(address, this.#sentinelAuth()),
        ),
      );
    }
    return Promise.all(checks);
  }

  /** Replica addresses from the first sentinel that answers SENTINEL REPLICAS. */
  async #replicas(timeoutMs: number): Promise<string[]> {
    for (const { host, port } of this.config.sentinels) {
      try {
        const reply = await withTimeout(
          this.#pingers.send(
            `${host}:${port}`,
            ['SENTINEL', 'REPLICAS', this.config.sentinelMaster],
            this.#sentinelAuth(),
          ),
          timeoutMs,
          'SENTINEL REPLICAS',
        );
        return (reply as unknown[]).map((entry) => {
          const fields = fieldMap(entry);
          return `${fields.get('ip')}:${fields.get('port')}`;
        });
      } catch {
        // Try the next sentinel.
      }
    }
    return [];
  }

  #sentinelAuth(): { username?: string; password?: string } {
    return {
      ...(this.config.sentinelUsername === undefined ? {} : { username: this.config.sentinelUsername }),
      ...(this.config.sentinelPassword === undefined ? {} : { password: this.config.sentinelPassword }),
    };
  }
}

/** A sentinel's per-node description: a flat [name, value, ...] array (RESP2) or a map (RESP3). */
function fieldMap(entry: unknown): Map<string, string> {
  if (entry instanceof Map) return new Map([...entry].map(([k, v]) => [String(k), String(v)]));
  if (Array.isArray(entry)) {
    const fields = new Map<string, string>();
    for (let i = 0; i + 1 < entry.length; i += 2) fields.set(String(entry[i]), String(entry[i + 1]));
    return fields;
  }
  return new Map(Object.entries(entry as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}
