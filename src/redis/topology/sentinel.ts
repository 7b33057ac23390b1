/**
 * Sentinel: the master's address comes from the sentinels (sentinels.ts: the highest config
 * epoch among all that answer); commands and subscriptions go over a plain single-node
 * connection to it (`SingleTopology`), used only once the node confirms it is a master (ROLE).
 *
 * Following a failover, as soon as any sentinel knows of it: every sentinel is watched for
 * `+switch-master`, and while the master is suspect (its connection lost, calls timing out,
 * READONLY after a demotion) the sentinels are asked again every `RESOLVE_INTERVAL_MS`. On a
 * switch the old connections are closed and `changed` tells the layer, which probes at once and
 * re-applies every subscription on the new master.
 *
 * Why not node-redis's own Sentinel client: it asks a single sentinel, its `+switch-master`
 * pattern never matches, and calls made while the master is down loop on rediscovery instead of
 * failing, so a failover took 2–3 s to be noticed.
 */
import type { RedisConfig } from '../../config/redis.js';
import type { MessageListener } from '../store.js';
import { withTimeout } from './client-options.js';
import { NodePingers, type PingerAuth } from './pingers.js';
import { Sentinels } from './sentinels.js';
import { pingNode, SingleTopology } from './single.js';
import type { NodeStatus, NodeTarget, RedisArg, SendOptions, Topology, TopologyEvents } from './topology.js';

/** How often the sentinels are asked for the master while the current one is suspect. */
const RESOLVE_INTERVAL_MS = 200;

export class SentinelTopology implements Topology {
  readonly name = 'sentinel' as const;
  readonly #pingers: NodePingers;
  readonly #sentinels: Sentinels;
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
    this.#sentinels = new Sentinels(config, this.#pingers);
  }

  async connect(): Promise<void> {
    await this.#use(await this.#sentinels.master(), 'initial');
    this.#sentinels.watch(() => this.#followSentinels('+switch-master'));
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#sentinels.close();
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

  /** The master's address; the sentinels are asked separately (#followSentinels). */
  returnTargets(): string[] {
    return this.#master === undefined ? [] : [this.#address];
  }

  reconnectNow(): void {
    this.#master?.reconnectNow();
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
    for (const address of await this.#sentinels.replicas(timeoutMs)) {
      checks.push(this.#ping(address, 'replica', timeoutMs, dataAuth));
    }
    for (const address of this.#sentinels.addresses) {
      checks.push(this.#ping(address, 'sentinel', timeoutMs, this.#sentinels.auth));
    }
    const master = this.#master === undefined ? [] : await this.#master.nodes(timeoutMs);
    return [...master, ...(await Promise.all(checks))];
  }

  #ping(address: string, role: NodeStatus['role'], timeoutMs: number, auth: PingerAuth) {
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
          const address = await this.#sentinels.master();
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
}

function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), Number(address.slice(at + 1))];
}
