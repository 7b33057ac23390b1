/**
 * Pub/sub for the rest topology, which has no push connection: each channel is a Redis stream
 * under the channel's own name (channels are `<prefix>:ch:…`, a namespace no key uses).
 *
 * - publish: `XADD <channel> MAXLEN ~ 10000 * m <message>` and `PEXPIRE <channel> 60000` in one
 *   /multi-exec, so a channel nobody publishes on disappears after a minute.
 * - subscribe: the stream's last id becomes the channel's cursor (only later messages are seen,
 *   as with SUBSCRIBE). One poller sends `XREAD COUNT 1000 STREAMS <every channel> <cursors>` every
 *   REDIS_REST_POLL_MS and hands each new message to the channel's listeners, the publisher's own
 *   included, as Redis pub/sub does.
 *
 * Guarantees: a message reaches every subscribed instance within about one poll interval plus a
 * round trip. As with pub/sub, delivery is at most once and a message published while an instance
 * cannot poll is lost to it: after failed polls the cursors jump to the streams' ends rather than
 * deliver a backlog late (the bus holds a late broadcast worse than none, and the in-process copies
 * are dropped and confirmed again after an outage anyway). Pattern subscriptions cannot be emulated
 * this way and are refused with PLEXUS_UNSUPPORTED. `publish` resolves to 0: the number of
 * receivers is unknown, they read later.
 *
 * The poller is the equivalent of the TCP topologies' subscriber connection: it does not go
 * through the executor (it would swamp the statistics with empty reads), and a failed poll reports
 * the connection lost once, which opens the breaker as a dropped subscriber connection does.
 */
import { UnsupportedError } from '../../errors.js';
import type { MessageListener } from '../store.js';
import { errorMessage } from './client-options.js';
import type { RestTransport } from './rest-transport.js';

const MAX_LENGTH = '10000';
const RETENTION_MS = '60000';
const READ_COUNT = '1000';
/** While polls fail, try once a second rather than every interval (a 429 must not be fed). */
const FAILING_POLL_MS = 1000;

interface Channel {
  cursor: string;
  listeners: Set<MessageListener>;
}

type StreamReply = [stream: string, entries: [id: string, fields: string[]][]][] | null;

export class RestChannels {
  readonly #channels = new Map<string, Channel>();
  #timer: NodeJS.Timeout | undefined;
  #polling = false;
  #failing = false;
  #lastFailure = 0;
  #closed = false;

  constructor(
    private readonly transport: RestTransport,
    private readonly pollMs: number,
    private readonly lost: (reason: string) => void,
  ) {}

  async publish(channel: string, message: string): Promise<number> {
    const [added] = await this.transport.multiExec([
      ['XADD', channel, 'MAXLEN', '~', MAX_LENGTH, '*', 'm', message],
      ['PEXPIRE', channel, RETENTION_MS],
    ]);
    if (added instanceof Error) throw added;
    return 0;
  }

  async subscribe(channel: string, listener: MessageListener, pattern: boolean): Promise<void> {
    if (pattern) {
      throw new UnsupportedError(
        `pattern subscriptions (${channel}) are not available on the rest topology: REST has no push connection and a pattern cannot be polled`,
      );
    }
    const existing = this.#channels.get(channel);
    if (existing !== undefined) {
      existing.listeners.add(listener);
      return;
    }
    const cursor = await this.#end(channel);
    // Another subscribe for the same channel may have finished while this one waited.
    const raced = this.#channels.get(channel);
    if (raced !== undefined) raced.listeners.add(listener);
    else this.#channels.set(channel, { cursor, listeners: new Set([listener]) });
    this.#start();
  }

  async unsubscribe(channel: string, listener: MessageListener): Promise<void> {
    const entry = this.#channels.get(channel);
    if (entry === undefined) return;
    entry.listeners.delete(listener);
    if (entry.listeners.size === 0) this.#channels.delete(channel);
    if (this.#channels.size === 0) this.#stop();
  }

  close(): void {
    this.#closed = true;
    this.#stop();
  }

  #start(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setInterval(() => void this.#poll(), this.pollMs);
    this.#timer.unref();
  }

  #stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** The id of the stream's last message ('0-0' when it has none): where a reader starts. */
  async #end(channel: string): Promise<string> {
    const last = (await this.transport.send(['XREVRANGE', channel, '+', '-', 'COUNT', '1'], false, true)) as [
      string,
      unknown,
    ][];
    return last[0]?.[0] ?? '0-0';
  }

  /** One XREAD over every channel; skipped while the previous one is still out. */
  async #poll(): Promise<void> {
    if (this.#polling || this.#channels.size === 0) return;
    if (this.#failing && performance.now() - this.#lastFailure < FAILING_POLL_MS) return;
    this.#polling = true;
    const names = [...this.#channels.keys()];
    try {
      if (this.#failing) {
        // Back after failed polls: skip what was published meanwhile, as pub/sub would have.
        const ends = await Promise.all(names.map((name) => this.#end(name)));
        for (const [i, name] of names.entries()) {
          const channel = this.#channels.get(name);
          if (channel !== undefined) channel.cursor = ends[i]!;
        }
        this.#failing = false;
        return;
      }
      const cursors = names.map((name) => this.#channels.get(name)!.cursor);
      const reply = (await this.transport.send(
        ['XREAD', 'COUNT', READ_COUNT, 'STREAMS', ...names, ...cursors],
        false,
        true,
      )) as StreamReply;
      for (const [name, entries] of reply ?? []) this.#deliver(name, entries);
    } catch (error) {
      if (!this.#failing && !this.#closed) this.lost(`channel polling: ${errorMessage(error)}`);
      this.#failing = true;
      this.#lastFailure = performance.now();
    } finally {
      this.#polling = false;
    }
  }

  #deliver(name: string, entries: [string, string[]][]): void {
    const channel = this.#channels.get(name);
    if (channel === undefined) return;
    for (const [id, fields] of entries) {
      channel.cursor = id;
      const message = fields[1];
      if (message === undefined) continue;
      for (const listener of channel.listeners) listener(message, name);
    }
  }
}
