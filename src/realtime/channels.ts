/**
 * The hub's pub/sub subscriptions, counted by interest: a channel is subscribed while some local
 * connection needs it and unsubscribed when the last one goes.
 *
 * Layouts (REALTIME_CHANNELS, docs/realtime.md): `stream`: one channel per stream
 * (`{ws:<endpoint>:<stream>}`), so an instance receives only the broadcasts of endpoints, and the
 * messages of users and rooms, it has connections for (sharded pub/sub on Cluster: the Store's
 * subscribe is SSUBSCRIBE there); `endpoint`: one channel per endpoint, every instance with a
 * connection on the endpoint receives all its messages and routes them in process.
 * Subscriptions survive outages: the connection layer re-applies them when Redis is back.
 */
import type { Logger } from '../logger.js';
import type { Unsubscribe } from '../redis/store.js';
import type { LayerView } from '../redis/view.js';
import type { EndpointState } from './endpoint-state.js';

export type ChannelLayout = 'endpoint' | 'stream';

interface Entry {
  readonly endpoint: EndpointState;
  count: number;
  active: boolean;
  ready: Promise<Unsubscribe | undefined>;
}

export class Channels {
  readonly layout: ChannelLayout;
  readonly #layer: LayerView;
  readonly #onMessage: (endpoint: EndpointState, raw: string) => void;
  readonly #logger: Logger;
  readonly #entries = new Map<string, Entry>();

  constructor(
    layer: LayerView,
    layout: ChannelLayout,
    onMessage: (endpoint: EndpointState, raw: string) => void,
    logger: Logger,
  ) {
    this.#layer = layer;
    this.layout = layout;
    this.#onMessage = onMessage;
    this.#logger = logger;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Where messages of `stream` are published. */
  channel(endpoint: string, stream: string): string {
    const keys = this.#layer.keys.realtime;
    return this.layout === 'stream' ? keys.streamChannel(endpoint, stream) : keys.endpointChannel(endpoint);
  }

  /** One more local interest in `stream`; resolves once the channel is subscribed (or pending). */
  acquire(endpoint: EndpointState, stream: string): Promise<unknown> {
    const channel = this.channel(endpoint.name, stream);
    const existing = this.#entries.get(channel);
    if (existing !== undefined && existing.endpoint === endpoint) {
      existing.count++;
      return existing.ready;
    }
    const entry: Entry = { endpoint, count: 1, active: true, ready: Promise.resolve(undefined) };
    const listener = (raw: string) => {
      if (entry.active) this.#onMessage(endpoint, raw);
    };
    entry.ready = this.#layer.store.subscribe(channel, listener).catch((error: unknown) => {
      this.#logger.warn({ channel, err: error }, 'realtime subscription failed');
      return undefined;
    });
    this.#entries.set(channel, entry);
    return entry.ready;
  }

  release(endpoint: EndpointState, stream: string): void {
    const channel = this.channel(endpoint.name, stream);
    const entry = this.#entries.get(channel);
    if (entry === undefined || entry.endpoint !== endpoint || --entry.count > 0) return;
    this.#drop(channel, entry);
  }

  /** Every subscription of `endpoint` (it was removed). */
  async dropEndpoint(endpoint: EndpointState): Promise<void> {
    const pending: Promise<void>[] = [];
    for (const [channel, entry] of this.#entries) {
      if (entry.endpoint === endpoint) pending.push(this.#drop(channel, entry));
    }
    await Promise.all(pending);
  }

  async close(): Promise<void> {
    await Promise.all([...this.#entries].map(([channel, entry]) => this.#drop(channel, entry)));
  }

  #drop(channel: string, entry: Entry): Promise<void> {
    entry.active = false;
    if (this.#entries.get(channel) === entry) this.#entries.delete(channel);
    return entry.ready.then((unsubscribe) => unsubscribe?.()).catch(() => undefined);
  }
}
