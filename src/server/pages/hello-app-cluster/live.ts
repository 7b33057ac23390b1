/**
 * The hello-app-cluster page's live feed (Server-Sent Events): every page open on this instance
 * holds one stream; a change of the demo value anywhere in the cluster reaches this instance as
 * the settings refresh broadcast (`plexus:config:refresh` on `plexus.bus`, `settings.onChange`),
 * and this instance then reads the value through its own tiers and sends it to its streams. So
 * what a page shows is what *this* instance serves, and the instance says so.
 */
import type { ServerResponse } from 'node:http';
import type { Settings } from '../../../settings/settings.js';
import type { SettingEntry } from '../../../settings/types.js';

/** The demo value: collection and key in plexus.settings. */
export const HELLO_COLLECTION = 'hello-app-cluster';
export const HELLO_KEY = 'message';
export const HELLO_DEFAULT = 'Hello from the cluster';
/** Most streams one instance keeps open for the page. */
export const MAX_STREAMS = 1000;
/** A comment line this often keeps idle streams open through proxies. */
const HEARTBEAT_MS = 15_000;

/** What the page shows (GET /api/1/hello-app-cluster and every event of the stream). */
export interface HelloState {
  /** The instance that answered. */
  instance: string;
  value: string;
  /** 0 while the value was never set (the default is shown). */
  version: number;
  updatedAt: string | null;
  updatedBy: string | null;
}

export function stateOf(instance: string, entry: SettingEntry | null): HelloState {
  if (entry === null || typeof entry.value !== 'string') {
    return { instance, value: HELLO_DEFAULT, version: entry?.version ?? 0, updatedAt: null, updatedBy: null };
  }
  return {
    instance,
    value: entry.value,
    version: entry.version,
    updatedAt: new Date(entry.updatedAt).toISOString(),
    updatedBy: entry.updatedBy,
  };
}

export class HelloLive {
  readonly #streams = new Set<ServerResponse>();
  readonly #settings: Settings;
  readonly #instance: string;
  #heartbeat: NodeJS.Timeout | undefined;
  #removeHandler: (() => void) | undefined;

  constructor(settings: Settings, instance: string) {
    this.#settings = settings;
    this.#instance = instance;
  }

  get size(): number {
    return this.#streams.size;
  }

  /** Registers the refresh handler (the application's part of the seed's KISS pattern). */
  start(): void {
    this.#removeHandler ??= this.#settings.onChange(async (change) => {
      if (change.collection !== HELLO_COLLECTION || change.key !== HELLO_KEY) return;
      if (this.#streams.size === 0) return;
      this.#send(await this.read());
    });
    this.#heartbeat ??= setInterval(() => {
      for (const stream of this.#streams) stream.write(': keep-alive\n\n');
    }, HEARTBEAT_MS).unref();
  }

  /** The value as this instance serves it. */
  async read(): Promise<HelloState> {
    return stateOf(this.#instance, await this.#settings.get(HELLO_COLLECTION, HELLO_KEY));
  }

  /** Takes over a response as an event stream and sends the current state first. */
  async open(stream: ServerResponse, onGone: (listener: () => void) => void): Promise<void> {
    stream.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-content-type-options': 'nosniff',
      'x-accel-buffering': 'no',
    });
    this.#streams.add(stream);
    onGone(() => this.#streams.delete(stream));
    stream.write(`retry: 2000\nevent: state\ndata: ${JSON.stringify(await this.read())}\n\n`);
  }

  /** Ends every stream (before the server closes) and removes the handler. */
  stop(): void {
    this.#removeHandler?.();
    this.#removeHandler = undefined;
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    for (const stream of this.#streams) stream.end();
    this.#streams.clear();
  }

  #send(state: HelloState): void {
    const frame = `event: state\ndata: ${JSON.stringify(state)}\n\n`;
    for (const stream of this.#streams) stream.write(frame);
  }
}
