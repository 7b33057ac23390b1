/**
 * The broadcast bus: `publish(channel, data)` reaches every matching handler on every instance;
 * `subscribe(channelOrPattern, handler, { omitSelf })` registers one.
 *
 * Protocol. Channels are `app:area:event` (channel.ts). Each family `app:area` is one pub/sub
 * channel, `<prefix>:ch:bus:<app>:<area>` (SPUBLISH/SSUBSCRIBE on Cluster, so families spread over
 * the shards). An instance subscribes to a family once, when its first handler for it arrives, and
 * matches the event part in process. A message is the JSON envelope
 * `{"s":<source instance>,"c":<channel>,"t":<sent at, epoch ms>,"d":<data>}`.
 *
 * Delivery. The publisher hands a message to its own handlers directly and ignores the copy Redis
 * echoes back, so local delivery never depends on Redis. When the cluster cannot be reached (the
 * layer is degraded or still connecting, or the publish fails) the message is delivered locally
 * only and counted in `missed`: nothing is queued for later, a late broadcast being worse than
 * none for the cache-refresh and notification traffic a bus carries. Subscriptions outlive
 * outages: the layer keeps them and re-applies them when Redis is back.
 *
 * Guarantees: at most once per handler; in publish order per publisher and family; handlers
 * receive the JSON-decoded payload (the same shape locally and remotely), shared by the handlers
 * of one message and to be treated as read-only.
 */
import { ValidationError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import { anyFailure, withFallback } from '../redis/fallback.js';
import type { Unsubscribe } from '../redis/store.js';
import type { LayerView } from '../redis/view.js';
import { isReserved, type ParsedChannel, type ParsedPattern, parseChannel, parsePattern } from './channel.js';
import { BusError } from './errors.js';

export interface BusMessage {
  /** The full channel, `app:area:event`. */
  channel: string;
  /** Id of the publishing instance. */
  source: string;
  /** When it was published (publisher's clock, epoch ms). */
  sentAt: number;
  /** True when this instance published it. */
  self: boolean;
}

export type BusHandler<T = unknown> = (data: T, message: BusMessage) => void | Promise<void>;

export interface BusSubscribeOptions {
  /** Do not deliver messages this instance published. */
  omitSelf?: boolean;
}

export interface PublishResult {
  /** Handlers on this instance the message was delivered to. */
  local: number;
  /** True when the message was handed to Redis for the other instances. */
  sent: boolean;
}

export interface BusStats {
  published: number;
  /** Messages other instances missed: published while the cluster could not be reached. */
  missed: number;
  /** Messages received from other instances. */
  received: number;
  /** Handler invocations, local and remote. */
  delivered: number;
  handlerErrors: number;
  /** Messages on a bus channel that were not valid envelopes (another writer on the channel). */
  malformed: number;
  families: number;
  subscriptions: number;
}

export interface BusOptions {
  instanceId: string;
  maxPayloadBytes: number;
  logger?: Logger;
}

interface Subscription {
  pattern: ParsedPattern;
  handler: BusHandler<unknown>;
  omitSelf: boolean;
  active: boolean;
}

interface Family {
  name: string;
  subs: Set<Subscription>;
  /** The Store subscription of the family channel. */
  ready: Promise<Unsubscribe>;
}

interface Envelope {
  s: string;
  c: string;
  t: number;
  d: unknown;
}

export class Bus {
  readonly instanceId: string;
  readonly #layer: LayerView;
  readonly #maxPayloadBytes: number;
  readonly #logger: Logger;
  readonly #families = new Map<string, Family>();
  readonly #stats = { published: 0, missed: 0, received: 0, delivered: 0, handlerErrors: 0, malformed: 0 };
  #closed = false;

  constructor(layer: LayerView, options: BusOptions) {
    this.#layer = layer;
    this.instanceId = options.instanceId;
    this.#maxPayloadBytes = options.maxPayloadBytes;
    this.#logger = options.logger ?? silentLogger;
  }

  /**
   * Delivers `data` to every handler subscribed to `channel` on every instance. Resolves once the
   * message is handed to Redis (or known not to be); never fails because Redis is down. Throws
   * BUS_INVALID_CHANNEL, BUS_RESERVED_CHANNEL, BUS_INVALID_PAYLOAD or BUS_PAYLOAD_TOO_LARGE.
   */
  async publish(channel: string, data: unknown): Promise<PublishResult> {
    const parsed = parseChannel(channel);
    if (isReserved(parsed.app)) {
      throw new BusError(
        'BUS_RESERVED_CHANNEL',
        `Channel ${channel}: the "${parsed.app}:" prefix is reserved for Plexus itself; use your application's name`,
        { details: { channel } },
      );
    }
    return this.#publish(channel, parsed, data);
  }

  /** Publishes on a reserved `plexus:area:event` channel. For Plexus's own modules only. */
  async publishSystem(channel: string, data: unknown): Promise<PublishResult> {
    const parsed = parseChannel(channel);
    if (!isReserved(parsed.app)) {
      throw new BusError('BUS_INVALID_CHANNEL', `System channels start with "plexus:", got ${channel}`);
    }
    return this.#publish(channel, parsed, data);
  }

  /**
   * Calls `handler` for every message on `channelOrPattern` (`app:area:event`, or `app:area:<glob>`
   * with `*` and `?` in the event part). Resolves once the subscription is active on Redis, or
   * recorded to be made when Redis is back; the returned function removes it.
   */
  async subscribe<T = unknown>(
    channelOrPattern: string,
    handler: BusHandler<T>,
    options: BusSubscribeOptions = {},
  ): Promise<Unsubscribe> {
    this.#assertOpen();
    const pattern = parsePattern(channelOrPattern);
    if (typeof handler !== 'function') throw new ValidationError('The bus handler must be a function');
    const sub: Subscription = {
      pattern,
      handler: handler as BusHandler<unknown>,
      omitSelf: options.omitSelf === true,
      active: true,
    };
    const family = this.#family(pattern);
    family.subs.add(sub);
    try {
      await family.ready;
    } catch (error) {
      await this.#remove(family, sub);
      throw error;
    }
    return () => this.#remove(family, sub);
  }

  stats(): BusStats {
    let subscriptions = 0;
    for (const family of this.#families.values()) subscriptions += family.subs.size;
    return { ...this.#stats, families: this.#families.size, subscriptions };
  }

  /** Removes every subscription; later calls fail with BUS_CLOSED. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const families = [...this.#families.values()];
    this.#families.clear();
    await Promise.all(
      families.map(async (family) => {
        for (const sub of family.subs) sub.active = false;
        await (await family.ready.catch(() => undefined))?.();
      }),
    );
  }

  async #publish(channel: string, parsed: ParsedChannel, data: unknown): Promise<PublishResult> {
    this.#assertOpen();
    const json = this.#serialise(channel, data);
    const sentAt = Date.now();
    const local = this.#deliverLocally(channel, parsed, json, sentAt);
    this.#stats.published++;
    const envelope = `{"s":${JSON.stringify(this.instanceId)},"c":${JSON.stringify(channel)},"t":${sentAt},"d":${json}}`;
    const sent = await withFallback(
      this.#layer,
      async () => {
        await this.#layer.store.publish(this.#layer.keys.bus.family(parsed.app, parsed.area), envelope);
        return true;
      },
      () => false,
      {
        when: anyFailure,
        onFallback: (error) =>
          this.#logger.debug({ channel, err: error }, 'bus message not sent to other instances'),
      },
    );
    if (!sent) this.#stats.missed++;
    return { local, sent };
  }

  #serialise(channel: string, data: unknown): string {
    let json: string | undefined;
    try {
      json = JSON.stringify(data);
    } catch (error) {
      throw new BusError('BUS_INVALID_PAYLOAD', `Payload for ${channel} is not JSON-serialisable`, {
        cause: error,
      });
    }
    if (json === undefined) {
      throw new BusError('BUS_INVALID_PAYLOAD', `Payload for ${channel} is not JSON-serialisable`);
    }
    const bytes = json.length <= this.#maxPayloadBytes / 3 ? json.length : Buffer.byteLength(json);
    if (bytes > this.#maxPayloadBytes) {
      throw new BusError(
        'BUS_PAYLOAD_TOO_LARGE',
        `Payload for ${channel} is ${bytes} bytes; the limit is ${this.#maxPayloadBytes} (BUS_MAX_PAYLOAD_BYTES)`,
        { details: { channel, bytes, limit: this.#maxPayloadBytes } },
      );
    }
    return json;
  }

  #deliverLocally(channel: string, parsed: ParsedChannel, json: string, sentAt: number): number {
    const family = this.#families.get(parsed.family);
    if (family === undefined) return 0;
    const targets = [...family.subs].filter((s) => !s.omitSelf && s.pattern.matches(parsed.event));
    if (targets.length === 0) return 0;
    const message: BusMessage = { channel, source: this.instanceId, sentAt, self: true };
    // Asynchronous like a message that crossed a socket: a publisher is never re-entered.
    setImmediate(() => this.#dispatch(targets, JSON.parse(json), message));
    return targets.length;
  }

  #onMessage(family: Family, raw: string): void {
    const envelope = decode(raw);
    if (envelope === undefined || !envelope.c.startsWith(`${family.name}:`)) {
      this.#stats.malformed++;
      return;
    }
    if (envelope.s === this.instanceId) return; // Already delivered locally when published.
    this.#stats.received++;
    const event = envelope.c.slice(family.name.length + 1);
    const targets = [...family.subs].filter((s) => s.pattern.matches(event));
    if (targets.length === 0) return;
    this.#dispatch(targets, envelope.d, {
      channel: envelope.c,
      source: envelope.s,
      sentAt: envelope.t,
      self: false,
    });
  }

  #dispatch(targets: Subscription[], data: unknown, message: BusMessage): void {
    for (const sub of targets) {
      if (!sub.active) continue;
      this.#stats.delivered++;
      try {
        const result = sub.handler(data, message);
        if (result instanceof Promise) result.catch((error: unknown) => this.#failed(message, error));
      } catch (error) {
        this.#failed(message, error);
      }
    }
  }

  #failed(message: BusMessage, error: unknown): void {
    this.#stats.handlerErrors++;
    this.#logger.error(
      { channel: message.channel, source: message.source, err: error },
      'bus handler failed',
    );
  }

  #family(pattern: ParsedPattern): Family {
    const existing = this.#families.get(pattern.family);
    if (existing !== undefined) return existing;
    const family: Family = { name: pattern.family, subs: new Set(), ready: Promise.resolve(async () => {}) };
    family.ready = this.#layer.store.subscribe(
      this.#layer.keys.bus.family(pattern.app, pattern.area),
      (raw) => this.#onMessage(family, raw),
    );
    this.#families.set(pattern.family, family);
    return family;
  }

  async #remove(family: Family, sub: Subscription): Promise<void> {
    if (!sub.active) return;
    sub.active = false;
    family.subs.delete(sub);
    if (family.subs.size > 0 || this.#families.get(family.name) !== family) return;
    this.#families.delete(family.name);
    const unsubscribe = await family.ready.catch(() => undefined);
    await unsubscribe?.();
  }

  #assertOpen(): void {
    if (this.#closed) throw new BusError('BUS_CLOSED', 'The bus is closed');
  }
}

function decode(raw: string): Envelope | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const e = value as Record<string, unknown>;
  if (typeof e.s !== 'string' || typeof e.c !== 'string' || typeof e.t !== 'number' || !('d' in e)) {
    return undefined;
  }
  return { s: e.s, c: e.c, t: e.t, d: e.d };
}
