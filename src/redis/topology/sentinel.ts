/**
 * Sentinel: the master's address comes from the sentinels; commands and subscriptions go over a
 * plain single-node connection to it (`SingleTopology`), replaced when the master changes.
 *
 * Finding the master: every sentinel is asked (SENTINEL MASTER) and the answer with the highest
 * config epoch wins; the node must then confirm it is a master (ROLE) before it is used.
 *
 * Following a failover, as soon as any sentinel knows of it:
 * - every sentinel is watched for `+switch-master` (one subscriber connection each): sentinels
 *   learn a new configuration from each other only every 2 s, so watching one is not enough;
 * - while the master is suspect (its connection lost, calls timing out, READONLY after a
 *   demotion) the sentinels are asked again every `RESOLVE_INTERVAL_MS`.
 * On a switch the old connections are closed and `changed` tells the layer, which probes at once
 * and re-applies every subscription on the new master.
 *
 * Why not node-redis's own Sentinel client: it asks a single sentinel, its `+switch-master`
 * pattern never matches, and calls made while the master is down loop on rediscovery instead of
 * failing, so a failover took 2–3 s to be noticed.
 */
import { createClient } from 'redis';
import type { RedisConfig } from '../../config/redis.js';
import type { MessageListener } from '../store.js';
import { backoff, errorMessage, withTimeout } from './client-options.js';
import { NodePingers } from './pingers.js';
import { pingNode, SingleTopology } from './single.js';
import type { NodeStatus, NodeTarget, RedisArg, SendOptions, Topology, TopologyEvents } from './topology.js';

/** How often the sentinels are asked for the master while the current one is suspect. */
const RESOLVE_INTERVAL_MS = 200;

export class SentinelTopology implements Topology {
  readonly name = 'sentinel' as const;
  readonly #pingers: NodePingers;
  readonly #watchers: { destroy(): void }[] = [];
  #master: SingleTopology | undefined;
  #address = 'unknown';
  #suspect = false;
  #resolving: Promise<void> | undefined;
  /** Cuts the wait between two rounds of #followSentinels short. */
  #wake: () => void = () => {};
  /** A `+switch-master` arrived during a round: start the next one at once. */
  #askAgain = false;
  #closed = false;

  constructor(
    private readonly config: RedisConfig,
    private readonly events: TopologyEvents,
  ) {
    this.#pingers = new NodePingers(config);
  }

  async connect(): Promise<void> {
    const address = await this.#resolve();
    await this.#use(address, 'initial');
    if (this.#watchers.length === 0)
      for (const { host, port } of this.config.sentinels) this.#watch(host, port);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const watcher of this.#watchers) watcher.destroy();
    await Promise.allSettled([this.#master?.close(), this.#pingers.close()]);
  }

  send(args: RedisArg[], options: SendOptions): Promise<unknown> {
    if (this.#master === undefined) return Promise.reject(new Error('no master known yet'));
    return this.#master.send(args, options);
  }

  nodeFor(): string {
    return this.#address;
  }

  masters(): NodeTarget[] {
    const master = this.#master;
    if (master !== undefined) return master.masters();
    // Before the first master is known, a SCAN must fail like any call, not find nothing.
    return [{ address: 'unknown', send: () => Promise.reject(new Error('no master known yet')) }];
  }

  publish(channel: string, message: string): Promise<number> {
    if (this.#master === undefined) return Promise.reject(new Error('no master known yet'));
    return this.#master.publish(channel, message);
  }

  subscribe(channel: string, listener: MessageListener, pattern: boolean): Promise<void> {
    if (this.#master === undefined) return Promise.reject(new Error('no master known yet'));
    return this.#master.subscribe(channel, listener, pattern);
  }

  async unsubscribe(channel: string, listener: MessageListener, pattern: boolean): Promise<void> {
    await this.#master?.unsubscribe(channel, listener, pattern);
  }

  noteFailure(): void {
    this.#suspect = true;
    this.#followSentinels();
  }

  async probe(): Promise<void> {
    if (this.#master === undefined) throw new Error('no master known yet');
    await this.#master.probe();
    this.#suspect = false;
  }

  /** The master, every replica the sentinels know of, and every configured sentinel. */
  async nodes(timeoutMs: number): Promise<NodeStatus[]> {
    const checks: Promise<NodeStatus>[] = [];
    const dataAuth = { username: this.config.username, password: this.config.password };
    for (const address of await this.#replicas(timeoutMs)) {
      checks.push(this.#ping(address, 'replica', timeoutMs, dataAuth));
    }
    for (const { host, port } of this.config.sentinels) {
      checks.push(this.#ping(`${host}:${port}`, 'sentinel', timeoutMs, this.#sentinelAuth()));
    }
    const master = this.#master === undefined ? [] : await this.#master.nodes(timeoutMs);
    return [...master, ...(await Promise.all(checks))];
  }

  #ping(address: string, role: NodeStatus['role'], timeoutMs: number, auth: SentinelAuth) {
    return pingNode(address, role, () => this.#pingers.send(address, ['PING'], auth), timeoutMs, {
      run: () => this.#pingers.connect(address, auth),
      timeoutMs: this.config.connectTimeoutMs,
    });
  }

  /** Connects to `address`, checks it is a master, and makes it the one every call goes to. */
  async #use(address: string, reason: string): Promise<void> {
    const [host, port] = splitAddress(address);
    const bracketed = host.includes(':') ? `[${host}]` : host;
    const node = new SingleTopology(
      { ...this.config, url: `redis://${bracketed}:${port}` },
      {
        lost: (why) => {
          if (this.#master !== node) return;
          this.events.lost(`master ${address}: ${why}`);
          this.noteFailure();
        },
        changed: () => {},
      },
    );
    try {
      await withTimeout(node.connect(), this.config.connectTimeoutMs, `connect to ${address}`);
      const role = await withTimeout(
        node.send(['ROLE'], { key: undefined, readonly: true, buffers: false }),
        this.config.connectTimeoutMs,
        'ROLE',
      );
      if (!Array.isArray(role) || role[0] !== 'master') throw new Error(`${address} is not a master (yet)`);
    } catch (error) {
      await node.close();
      throw error;
    }
    if (this.#closed) return node.close();
    const previous = this.#master;
    this.#master = node;
    this.#address = address;
    this.#suspect = false;
    if (previous !== undefined) {
      void previous.close();
      this.events.changed(`master is now ${address} (${reason})`);
    }
  }

  /**
   * Asks the sentinels until they name a new master (switching to it) or the old one is fine.
   * Called again while it runs (a `+switch-master` arrived), it asks again at once.
   */
  #followSentinels(reason = 'master suspect'): void {
    if (this.#resolving !== undefined) {
      this.#askAgain = true;
      this.#wake();
      return;
    }
    if (this.#closed || this.#master === undefined) return;
    this.#resolving = (async () => {
      while (!this.#closed) {
        this.#askAgain = false;
        try {
          const address = await this.#resolve();
          if (address !== this.#address) {
            await this.#use(address, reason);
            return;
          }
          if (!this.#suspect) return;
        } catch {
          // Sentinels unreachable or the new master not ready yet: ask again.
        }
        if (this.#askAgain) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, RESOLVE_INTERVAL_MS);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wake = () => {};
      }
    })().finally(() => {
      this.#resolving = undefined;
    });
  }

  /** The master named by the sentinel with the highest config epoch. */
  async #resolve(): Promise<string> {
    const answers = await Promise.allSettled(
      this.config.sentinels.map(async ({ host, port }) => {
        const reply = await withTimeout(
          this.#pingers.send(
            `${host}:${port}`,
            ['SENTINEL', 'MASTER', this.config.sentinelMaster],
            this.#sentinelAuth(),
          ),
          this.config.connectTimeoutMs,
          'SENTINEL MASTER',
        );
        const fields = fieldMap(reply);
        return {
          address: `${fields.get('ip')}:${fields.get('port')}`,
          epoch: Number(fields.get('config-epoch')),
        };
      }),
    );
    let best: { address: string; epoch: number } | undefined;
    for (const answer of answers) {
      if (answer.status === 'fulfilled' && (best === undefined || answer.value.epoch > best.epoch)) {
        best = answer.value;
      }
    }
    if (best === undefined) {
      const failure = answers.find((a): a is PromiseRejectedResult => a.status === 'rejected');
      throw new Error(`no sentinel answered: ${errorMessage(failure?.reason)}`);
    }
    return best.address;
  }

  /** Subscribes to `+switch-master` on one sentinel, reconnecting with back-off. */
  #watch(host: string, port: number): void {
    const watcher = createClient({
      ...this.#sentinelAuth(),
      socket: {
        host,
        port,
        connectTimeout: this.config.connectTimeoutMs,
        reconnectStrategy: backoff(this.config.reconnectMaxDelayMs),
        ...(this.config.tls ? { tls: true as const } : {}),
      },
    });
    watcher.on('error', () => {
      // A sentinel being down is shown by health(); the others still report failovers.
    });
    this.#watchers.push(watcher);
    watcher
      .connect()
      .then(() =>
        watcher.subscribe('+switch-master', (message) => {
          // "<master name> <old ip> <old port> <new ip> <new port>"
          if (message.split(' ')[0] === this.config.sentinelMaster) this.#followSentinels('+switch-master');
        }),
      )
      .catch(() => {});
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

  #sentinelAuth(): SentinelAuth {
    return {
      ...(this.config.sentinelUsername === undefined ? {} : { username: this.config.sentinelUsername }),
      ...(this.config.sentinelPassword === undefined ? {} : { password: this.config.sentinelPassword }),
    };
  }
}

interface SentinelAuth {
  username?: string;
  password?: string;
}

function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), Number(address.slice(at + 1))];
}

/** A sentinel's description of a node: a flat [name, value, ...] array (RESP2) or a map (RESP3). */
function fieldMap(entry: unknown): Map<string, string> {
  if (entry instanceof Map) return new Map([...entry].map(([k, v]) => [String(k), String(v)]));
  if (Array.isArray(entry)) {
    const fields = new Map<string, string>();
    for (let i = 0; i + 1 < entry.length; i += 2) fields.set(String(entry[i]), String(entry[i + 1]));
    return fields;
  }
  return new Map(Object.entries(entry as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}
