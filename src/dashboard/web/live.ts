/**
 * `RealtimeTransport`: the data document pushed over the realtime endpoint `plexus-admin`
 * (src/dashboard/live.ts), with polling as the fallback.
 *
 * The first document comes from the data route at once, while the WebSocket connects. After the
 * welcome the page joins the room of the instance it is connected to (`instance:<id>`), whose
 * pusher sends the document (plots from the last two buckets on) when it changes, and asks the data
 * route once for what it does not have yet (what came meanwhile, or what it missed while
 * disconnected: the endpoint keeps no history). A push that does not continue what the page
 * has is refused by the page, which resets the transport: one request to the data route.
 *
 * Fallback: if no connection opens at first (the admin token cannot be sent by a browser's
 * WebSocket, so a page signed in with it is refused; or the realtime routes are not mounted), the
 * page polls for good. If an open connection drops, the page polls while the client reconnects.
 */
import { createRealtimeClient, type RealtimeClient } from '../../realtime-client/index.js';
import { type Api, type Fetched, PollingTransport, type Transport } from './api.js';
import type { DashboardDocument } from './types.js';

/** src/dashboard/live.ts: LIVE_ENDPOINT, LIVE_EVENT, liveRoom. */
const ENDPOINT = 'plexus-admin';
const EVENT = 'dashboard';
/** No welcome this long after starting: poll instead. */
const FIRST_OPEN_MS = 10_000;

type Messages = { [EVENT]: DashboardDocument };

export class RealtimeTransport implements Transport {
  readonly #polling: PollingTransport;
  #client: RealtimeClient<Messages> | undefined;
  #receive: ((fetched: Fetched) => void) | undefined;
  #opened = false;
  #open = false;
  #fallback: string | undefined;
  #pollingOn = false;
  #room: string | undefined;
  #timer: number | undefined;

  constructor(api: Api) {
    this.#polling = new PollingTransport(api);
  }

  get since(): number {
    return this.#polling.since;
  }

  set since(value: number) {
    this.#polling.since = value;
  }

  get instance(): string | undefined {
    return this.#open ? this.#room?.slice('instance:'.length) : undefined;
  }

  describe(): string {
    if (this.#open) return 'over WebSocket';
    if (this.#fallback !== undefined) return `polling (${this.#fallback})`;
    return this.#opened ? 'polling while the WebSocket reconnects' : 'connecting the WebSocket…';
  }

  start(receive: (fetched: Fetched) => void): void {
    this.#receive = receive;
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/1/ws/${ENDPOINT}`;
    const client = createRealtimeClient<Messages>({ url });
    this.#client = client;
    client.on('open', ({ welcome }) => {
      this.#opened = true;
      this.#open = true;
      this.#stopPolling();
      const room = `instance:${welcome.instance}`;
      if (this.#room === room) {
        this.#fetch(); // rejoined by the client; what was sent meanwhile is lost
        return;
      }
      if (this.#room !== undefined) void client.leave(this.#room).catch(() => {});
      this.#room = room;
      client.join(room).then(
        () => this.#fetch(),
        (error: unknown) => this.#giveUp(`joining the live room failed: ${String(error)}`),
      );
    });
    client.on('close', (event) => {
      this.#open = false;
      if (!this.#opened) this.#giveUp(`WebSocket refused (close ${event.code})`);
      else if (this.#fallback === undefined) this.#startPolling();
    });
    client.onMessage(EVENT, (message) => {
      if (this.#open) this.#receive?.({ kind: 'document', document: message.data });
    });
    this.#timer = window.setTimeout(() => {
      if (!this.#opened) this.#giveUp('no WebSocket welcome');
    }, FIRST_OPEN_MS);
    client.connect().catch(() => {});
    // The first document does not wait for the WebSocket's round trips (upgrade, welcome, join).
    this.#fetch();
  }

  stop(): void {
    window.clearTimeout(this.#timer);
    this.#receive = undefined;
    this.#client?.close();
    this.#stopPolling();
  }

  reset(since: number): void {
    this.#polling.reset(since);
    if (this.#open) this.#fetch();
  }

  #fetch(): void {
    void this.#polling.once().then((fetched) => this.#receive?.(fetched));
  }

  #giveUp(reason: string): void {
    if (this.#fallback !== undefined) return;
    this.#fallback = reason;
    this.#open = false;
    window.clearTimeout(this.#timer);
    this.#client?.close();
    this.#startPolling();
  }

  #startPolling(): void {
    if (this.#pollingOn || this.#receive === undefined) return;
    this.#pollingOn = true;
    this.#polling.start(this.#receive);
  }

  #stopPolling(): void {
    if (!this.#pollingOn) return;
    this.#pollingOn = false;
    this.#polling.stop();
  }
}
