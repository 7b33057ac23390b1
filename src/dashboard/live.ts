/**
 * The dashboard's live updates over the realtime module: the endpoint `plexus-admin` (defined here
 * in code; admins only; no history — a page that missed something asks the data route) and, on
 * every instance, a pusher that sends the data document to its own connections.
 *
 * Who publishes. Each instance serves only the pages connected to it: once a second, if it has a
 * `plexus-admin` connection, it builds the document as the data route would (the plots from the
 * last two buckets on: the page has the rest) and, when it differs from the last one sent (or
 * 10 s have passed), publishes it to the room `instance:<its id>`, which its pages join after the
 * welcome. The cost therefore follows the people watching (nothing when nobody is), never the
 * number of instances, and a page keeps getting documents while Redis is down (they say `local`:
 * this instance only). A cluster-wide run-once job would build one document for everybody, but it
 * would publish every second while nobody watches and would stop with Redis. See docs/dashboard.md.
 */
import type { PlexusCore } from '../application/definition.js';
import type { Logger } from '../logger.js';
import type { Dashboard } from './dashboard.js';

export const LIVE_ENDPOINT = 'plexus-admin';
export const LIVE_EVENT = 'dashboard';
/** How often an instance with a connected page builds the document. */
export const LIVE_INTERVAL_MS = 1000;
/** A document is sent at least this often, even unchanged (the page knows it is still live). */
export const LIVE_KEEPALIVE_MS = 10_000;

export function liveRoom(instanceId: string): string {
  return `instance:${instanceId}`;
}

export class LivePush {
  readonly #plexus: PlexusCore;
  readonly #dashboard: Dashboard;
  readonly #logger: Logger;
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  #last = '';
  #lastAt = 0;

  constructor(plexus: PlexusCore, dashboard: Dashboard) {
    this.#plexus = plexus;
    this.#dashboard = dashboard;
    this.#logger = plexus.logger;
  }

  /** Defines the endpoint (admins only, pages do not publish) and starts the pusher. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#plexus.realtime.endpoint(LIVE_ENDPOINT, {
      connect: { role: 'admin' },
      clientPublish: [],
      clientJoin: true,
      history: false,
      // A document of a large cluster is bigger than the default 64 KiB publish limit.
      maxBytes: 8 * 1024 * 1024,
    });
    this.#timer = setInterval(() => void this.tick(), LIVE_INTERVAL_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Pages connected to this instance. */
  connections(): number {
    return (
      this.#plexus.realtime.localStats().endpoints.find((e) => e.endpoint === LIVE_ENDPOINT)?.connections ?? 0
    );
  }

  /** One round: builds and sends the document if a page is connected here and it changed. */
  async tick(now = Date.now()): Promise<boolean> {
    if (this.#busy || this.connections() === 0) return false;
    this.#busy = true;
    try {
      const bucketMs = this.#dashboard.bucketMs;
      const since = Math.max(0, now - (now % bucketMs) - bucketMs);
      const document = await this.#dashboard.document(since, now);
      const json = JSON.stringify(document);
      if (json === this.#last && now - this.#lastAt < LIVE_KEEPALIVE_MS) return false;
      await this.#plexus.realtime
        .endpoint(LIVE_ENDPOINT)
        .toRoom(liveRoom(this.#plexus.instanceId), LIVE_EVENT, document);
      this.#last = json;
      this.#lastAt = now;
      return true;
    } catch (error) {
      this.#logger.debug({ err: error }, 'dashboard live document not sent');
      return false;
    } finally {
      this.#busy = false;
    }
  }
}
