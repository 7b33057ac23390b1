/**
 * The rest topology: Redis behind Upstash's REST API (`UPSTASH_REDIS_REST_URL` + `_TOKEN`), for
 * serverless hosts that cannot hold a TCP connection. There is no connection to open or lose: the
 * endpoint is usable when it answers, and the layer's health check (a PING over HTTP) and the
 * executor's breaker decide that, exactly as for the TCP topologies. Upstash is one logical node,
 * so there is one master (SCAN visits it) and no failover to follow.
 *
 * Commands: rest-transport.ts (batching into /pipeline, bytes, HTTP statuses). Pub/sub:
 * rest-channels.ts (streams polled every REDIS_REST_POLL_MS; pattern subscriptions refused).
 */
import type { RedisConfig } from '../../config/redis.js';
import { ConfigError } from '../../errors.js';
import type { MessageListener } from '../store.js';
import { RestChannels } from './rest-channels.js';
import { RestTransport } from './rest-transport.js';
import { pingNode } from './single.js';
import type { NodeStatus, NodeTarget, RedisArg, SendOptions, Topology, TopologyEvents } from './topology.js';

/** How long after the command timeout a hung HTTP request is aborted (the caller gave up already). */
const ABORT_MARGIN_MS = 250;

export class RestTopology implements Topology {
  readonly name = 'rest' as const;
  readonly #transport: RestTransport;
  readonly #channels: RestChannels;
  readonly #address: string;

  constructor(config: RedisConfig, events: TopologyEvents) {
    // loadRedisConfig refuses rest mode without them; a hand-built config may still lack them.
    if (config.restUrl === undefined) throw new ConfigError('UPSTASH_REDIS_REST_URL', 'rest mode needs it');
    if (config.restToken === undefined)
      throw new ConfigError('UPSTASH_REDIS_REST_TOKEN', 'rest mode needs it');
    this.#transport = new RestTransport(
      config.restUrl,
      config.restToken,
      config.commandTimeoutMs + ABORT_MARGIN_MS,
    );
    this.#channels = new RestChannels(this.#transport, config.restPollMs, events.lost);
    this.#address = new URL(config.restUrl).host;
  }

  async connect(): Promise<void> {
    // HTTP needs no connection set up front; the layer's first PING tells whether it answers.
  }

  async close(): Promise<void> {
    this.#channels.close();
  }

  send(args: RedisArg[], options: SendOptions): Promise<unknown> {
    return this.#transport.send(args, options.buffers, options.readonly, options.key);
  }

  nodeFor(): string {
    return this.#address;
  }

  masters(): NodeTarget[] {
    return [{ address: this.#address, send: (args) => this.#transport.send(args, false, true) }];
  }

  publish(channel: string, message: string): Promise<number> {
    return this.#channels.publish(channel, message);
  }

  subscribe(channel: string, listener: MessageListener, pattern: boolean): Promise<void> {
    return this.#channels.subscribe(channel, listener, pattern);
  }

  unsubscribe(channel: string, listener: MessageListener): Promise<void> {
    return this.#channels.unsubscribe(channel, listener);
  }

  /**
   * No targets: the return probe speaks Redis over TCP, and over HTTP there is no connection in a
   * back-off to replace. The layer's half-open call (every REDIS_BREAKER_RESET_MS) finds the
   * endpoint back, as before the return probe existed.
   */
  returnTargets(): string[] {
    return [];
  }

  reconnectNow(): void {}

  async probe(): Promise<void> {
    await this.#transport.send(['PING'], false, true);
  }

  async nodes(timeoutMs: number): Promise<NodeStatus[]> {
    return [
      await pingNode(this.#address, 'master', () => this.#transport.send(['PING'], false, true), timeoutMs),
    ];
  }
}
