/**
 * Single node: one command connection and one subscriber connection (created on first subscribe),
 * both reconnecting with back-off. node-redis restores subscriptions after a reconnection.
 *
 * `reconnectNow()` cuts a back-off short when the return probe saw the node answer: node-redis's
 * wait between attempts cannot be interrupted, so a connection still waiting is replaced by a
 * fresh one (same options) that connects at once; a dropped subscriber is opened again by the
 * layer's restore of every subscription, which is part of becoming ready.
 */
import { createClient, RESP_TYPES } from 'redis';
import type { RedisConfig } from '../../config/redis.js';
import type { MessageListener } from '../store.js';
import { errorMessage, nodeClientOptions, withTimeout } from './client-options.js';
import type { NodeStatus, NodeTarget, RedisArg, SendOptions, Topology, TopologyEvents } from './topology.js';

type Client = ReturnType<typeof createClient>;

export const BUFFER_REPLIES = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } } as const;

export class SingleTopology implements Topology {
  readonly name = 'single' as const;
  #client: Client;
  /** The command connection's connect(), started by connect(); a replacement starts its own. */
  #connecting: Promise<unknown> | undefined;
  #subscriber: Client | undefined;
  #subscriberReady: Promise<Client> | undefined;
  readonly #address: string;

  constructor(
    config: RedisConfig,
    private readonly events: TopologyEvents,
  ) {
    const url = config.url ?? 'redis://127.0.0.1:6379';
    this.#client = createClient({
      ...nodeClientOptions(config, config.tls || url.startsWith('rediss:')),
      url,
      ...(config.db === 0 ? {} : { database: config.db }),
    });
    const parsed = new URL(url);
    this.#address = `${parsed.hostname}:${parsed.port || '6379'}`;
    this.#watch(this.#client, 'command connection');
  }

  #watch(client: Client, role: string): void {
    client.on('error', (error: unknown) => this.events.lost(`${role}: ${errorMessage(error)}`));
  }

  async connect(): Promise<void> {
    if (this.#connecting === undefined) this.#start(this.#client);
    for (;;) {
      const connecting = this.#connecting;
      try {
        await connecting;
        return;
      } catch (error) {
        // A replaced client's attempt ends with ClientClosedError: wait for its replacement.
        if (connecting === this.#connecting) throw error;
      }
    }
  }

  returnTargets(): string[] {
    return [this.#address];
  }

  reconnectNow(): void {
    if (this.#connecting !== undefined && !this.#client.isReady) {
      const stale = this.#client;
      const fresh = stale.duplicate();
      this.#watch(fresh, 'command connection');
      this.#start(fresh);
      retire(stale);
    }
    const subscriber = this.#subscriber;
    if (subscriber !== undefined && !subscriber.isReady && this.#subscriberReady !== undefined) {
      this.#subscriber = undefined;
      this.#subscriberReady = undefined;
      retire(subscriber);
    }
  }

  #start(client: Client): void {
    this.#client = client;
    const connecting = client.connect();
    // Awaited by connect() when the layer asks; a replaced client's rejection is expected.
    connecting.catch(() => {});
    this.#connecting = connecting;
  }

  async close(): Promise<void> {
    await Promise.allSettled([closeClient(this.#client), this.#subscriber && closeClient(this.#subscriber)]);
  }

  send(args: RedisArg[], options: SendOptions): Promise<unknown> {
    return options.buffers ? this.#client.sendCommand(args, BUFFER_REPLIES) : this.#client.sendCommand(args);
  }

  nodeFor(): string {
    return this.#address;
  }

  masters(): NodeTarget[] {
    return [{ address: this.#address, send: (args) => this.#client.sendCommand(args) }];
  }

  async publish(channel: string, message: string): Promise<number> {
    return this.#client.publish(channel, message);
  }

  async subscribe(channel: string, listener: MessageListener, pattern: boolean): Promise<void> {
    const subscriber = await this.#subscriberClient();
    await (pattern ? subscriber.pSubscribe(channel, listener) : subscriber.subscribe(channel, listener));
  }

  async unsubscribe(channel: string, listener: MessageListener, pattern: boolean): Promise<void> {
    const subscriber = this.#subscriber;
    if (subscriber === undefined || !subscriber.isReady) return;
    await (pattern ? subscriber.pUnsubscribe(channel, listener) : subscriber.unsubscribe(channel, listener));
  }

  async probe(): Promise<void> {
    // A connection just replaced by reconnectNow() is given its moment (the layer bounds the
    // wait), rather than failing the half-open probe that follows the return at once.
    if (!this.#client.isReady) await this.#connecting;
    await this.#client.sendCommand(['PING']);
  }

  async nodes(timeoutMs: number): Promise<NodeStatus[]> {
    return [await pingNode(this.#address, 'master', () => this.#client.sendCommand(['PING']), timeoutMs)];
  }

  /** True while the command connection is up (Sentinel uses it to tell a lost master). */
  get isReady(): boolean {
    return this.#client.isReady;
  }

  #subscriberClient(): Promise<Client> {
    this.#subscriberReady ??= this.#openSubscriber();
    return this.#subscriberReady;
  }

  #openSubscriber(): Promise<Client> {
    const subscriber = this.#client.duplicate();
    this.#subscriber = subscriber;
    this.#watch(subscriber, 'subscriber connection');
    return subscriber.connect().then(
      () => subscriber,
      (error: unknown) => {
        // node-redis does not retry a first connection that failed: drop it, so that the next
        // subscribe (the layer re-applies pending ones on recovery) opens a fresh one.
        if (this.#subscriber === subscriber) {
          this.#subscriber = undefined;
          this.#subscriberReady = undefined;
        }
        subscriber.destroy();
        throw error;
      },
    );
  }
}

/**
 * Destroys a client still waiting to reconnect: it never tries again, and what it reports from
 * now on (its attempt ending) is no news about Redis.
 *
 * A client destroyed while its TCP connection is being opened comes up anyway (node-redis 6:
 * `RedisSocket.#connect` stores the socket only once it connected, after `destroy()` looked for
 * one), restores its subscriptions and stays open: a subscriber retired that way would deliver
 * every message a second time. It is destroyed again when it says it is ready.
 */
export function retire(client: {
  removeAllListeners(event: 'error'): unknown;
  on(event: 'error', listener: () => void): unknown;
  once(event: 'ready', listener: () => void): unknown;
  destroy(): void;
}): void {
  // Added first: node-redis's client is a view over the emitter, and removing its last listener
  // gives the view an event table of its own, which the client's events never reach.
  client.once('ready', () => client.destroy());
  client.removeAllListeners('error');
  client.on('error', () => {});
  client.destroy();
}

export async function closeClient(client: { isOpen: boolean; close(): Promise<unknown>; destroy(): void }) {
  if (!client.isOpen) return;
  try {
    await withTimeout(client.close(), 1000, 'close');
  } catch {
    client.destroy();
  }
}

/**
 * One node's status for health(). `prepare` (opening a health connection) runs first, with its
 * own budget (a connection takes longer than a PING on a busy machine) and outside the measured
 * latency, which is the PING round trip alone, bounded by `timeoutMs`.
 */
export async function pingNode(
  address: string,
  role: NodeStatus['role'],
  ping: () => Promise<unknown>,
  timeoutMs: number,
  prepare?: { run: () => Promise<unknown>; timeoutMs: number },
): Promise<NodeStatus> {
  try {
    if (prepare !== undefined) await withTimeout(prepare.run(), prepare.timeoutMs, 'connect');
    const start = performance.now();
    await withTimeout(ping(), timeoutMs, 'PING');
    return {
      address,
      role,
      reachable: true,
      latencyMs: Math.round((performance.now() - start) * 1000) / 1000,
    };
  } catch (error) {
    return { address, role, reachable: false, latencyMs: null, error: errorMessage(error) };
  }
}
