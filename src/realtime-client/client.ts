/**
 * `RealtimeClient`: one connection to a realtime endpoint (docs/realtime-client.md), kept alive
 * across failures. It reconnects with exponential backoff and jitter, moving through the URLs it was
 * given (fallback instances); after each reconnect it recovers every stream it follows (broadcast,
 * user, each joined room) from its last offset, so the application gets each missed message once,
 * in order, or a `resync` event when the server no longer has them; it rejoins its rooms, and it
 * pings the server so that a dead connection is noticed and replaced.
 */
import { BACKOFF_DEFAULTS, type BackoffOptions, backoffDelay } from './backoff.js';
import { Emitter } from './emitter.js';
import { RealtimeClientError, RealtimeServerError } from './errors.js';
import {
  type ClientFrame,
  CloseCode,
  type ErrFrame,
  type MsgFrame,
  type OkFrame,
  parseServerFrame,
  roomStream,
  type StreamPosition,
  type WelcomeFrame,
} from './protocol.js';
import {
  frameText,
  globalWebSocket,
  OPEN,
  type WebSocketConstructorLike,
  type WebSocketLike,
} from './socket.js';
import { StreamTracker } from './streams.js';

/** Event name → payload type of the messages an endpoint carries. */
export type MessageMap = Record<string, unknown>;

/** Where a client may publish: `broadcast`, `room:<id>` or `user:<id>` (if the endpoint allows it). */
export type Target = 'broadcast' | `room:${string}` | `user:${string}`;

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/** One delivered message, typed by its event name. */
export type Delivery<M extends MessageMap> = {
  [K in keyof M & string]: {
    /** `broadcast`, `user` or `room:<id>`. */
    stream: string;
    /** Offset in the stream (0 on endpoints without history). */
    offset: number;
    ev: K;
    data: M[K];
    /** The publishing user; absent for server and REST publishes. */
    from?: string;
  };
}[keyof M & string];

export interface OpenEvent {
  url: string;
  /** True from the second connection on. */
  reconnected: boolean;
  welcome: WelcomeFrame;
}

export interface CloseEvent {
  code: number;
  reason: string;
  /** False when the client stops (closed by `close()`, by policy 1008, or `reconnect: false`). */
  reconnecting: boolean;
  /** The wait before the next attempt, when reconnecting. */
  delayMs?: number;
}

export interface ResyncEvent {
  stream: string;
  /** `epoch`: the stream's history was lost; `history`: the missed part is no longer kept. */
  reason: 'epoch' | 'history';
}

export interface PresenceEvent {
  room: string;
  user: string;
  action: 'join' | 'leave';
}

export interface StateEvent {
  state: ConnectionState;
  previous: ConnectionState;
}

export interface RealtimeClientEvents<M extends MessageMap> {
  state: StateEvent;
  open: OpenEvent;
  close: CloseEvent;
  message: Delivery<M>;
  presence: PresenceEvent;
  resync: ResyncEvent;
  /** A refused frame the application did not wait for, or an unreadable frame. */
  error: RealtimeClientError | RealtimeServerError;
}

export interface JoinResult {
  room: string;
  epoch: string;
  offset: number;
}

export interface RealtimeClientOptions {
  /** The endpoint's WebSocket URL, or several (fallback instances, tried in turn). */
  url: string | readonly string[];
  /** The WebSocket implementation; default the global one (browsers). In Node 20: `ws`'s. */
  WebSocket?: WebSocketConstructorLike;
  /** A connection token for non-browser clients (sent as `?token=`), or a function asked at every attempt. */
  token?: string | (() => string | Promise<string>);
  /** Reconnect after a failure. Default true. */
  reconnect?: boolean;
  backoff?: BackoffOptions;
  /** How often to ping the server, in ms. Default: half the server's `heartbeatMs`, at most 15000. */
  pingIntervalMs?: number;
  /** A connection with no frame this long after a ping is dead, in ms. Default 10000. */
  pongTimeoutMs?: number;
  /** The longest wait for an answer (`ok`, `pong`), in ms. Default 10000. */
  requestTimeoutMs?: number;
  /** The longest wait from opening a socket to the server's welcome, in ms. Default 10000. */
  openTimeoutMs?: number;
}

/** Close code the client uses when it gives up on a connection itself (no pong, no welcome). */
export const CLIENT_GAVE_UP = 4000;

const SERVER_STREAMS = ['broadcast', 'user'] as const;

interface Pending {
  ok(frame: OkFrame): void;
  err(error: RealtimeServerError | RealtimeClientError): void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

interface Room {
  joined: boolean;
  waiters: { resolve(result: JoinResult): void; reject(error: Error): void }[];
}

export class RealtimeClient<M extends MessageMap = MessageMap> extends Emitter<RealtimeClientEvents<M>> {
  readonly #urls: readonly string[];
  readonly #WebSocket: WebSocketConstructorLike | undefined;
  readonly #options: RealtimeClientOptions;
  readonly #streams = new StreamTracker();
  readonly #rooms = new Map<string, Room>();
  readonly #pending = new Map<number, Pending>();
  #state: ConnectionState = 'idle';
  #socket: WebSocketLike | undefined;
  #welcome: WelcomeFrame | undefined;
  #urlIndex = 0;
  #attempt = 0;
  #nextId = 0;
  #connections = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #openTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #pongTimer: ReturnType<typeof setTimeout> | undefined;
  #ready:
    | { promise: Promise<WelcomeFrame>; resolve(w: WelcomeFrame): void; reject(e: Error): void }
    | undefined;

  constructor(options: RealtimeClientOptions) {
    super();
    this.#urls = typeof options.url === 'string' ? [options.url] : [...options.url];
    if (this.#urls.length === 0) throw new TypeError('RealtimeClient needs at least one url');
    this.#WebSocket = options.WebSocket ?? globalWebSocket();
    this.#options = options;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** The current connection's welcome (instance, user, limits), while open. */
  get welcome(): WelcomeFrame | undefined {
    return this.#state === 'open' ? this.#welcome : undefined;
  }

  /** The URL of the current (or next) connection. */
  get url(): string {
    return this.#urls[this.#urlIndex] as string;
  }

  /** Rooms this client is in (or will rejoin on reconnect). */
  get rooms(): string[] {
    return [...this.#rooms.keys()];
  }

  /** Where a stream stands (its epoch and the last offset delivered). */
  position(stream: string): StreamPosition | undefined {
    return this.#streams.position(stream);
  }

  /**
   * Starts connecting (and keeps the connection up until `close()`); resolves with the first welcome.
   * Reconnecting goes on through failures, so the promise waits until some URL answers.
   */
  connect(): Promise<WelcomeFrame> {
    if (this.#WebSocket === undefined) {
      return Promise.reject(
        new RealtimeClientError(
          'RT_NO_WEBSOCKET',
          'no WebSocket implementation: pass WebSocket in the options',
        ),
      );
    }
    if (this.#ready !== undefined && this.#state !== 'closed') return this.#ready.promise;
    this.#ready = deferred<WelcomeFrame>();
    this.#attempt = 0;
    this.#setState('connecting');
    void this.#open();
    return this.#ready.promise;
  }

  /** Closes the connection for good (code 1000); pending requests fail with `RT_CLOSED`. */
  close(): void {
    if (this.#state === 'closed' || this.#state === 'idle') return;
    clearTimeout(this.#retryTimer);
    const socket = this.#detach();
    socket?.close(CloseCode.normal, 'client closed');
    this.#failPending(new RealtimeClientError('RT_CLOSED', 'the client was closed'));
    for (const [room, state] of this.#rooms) {
      for (const waiter of state.waiters)
        waiter.reject(new RealtimeClientError('RT_CLOSED', `closed before joining ${room}`));
      state.waiters = [];
    }
    this.#ready?.reject(new RealtimeClientError('RT_CLOSED', 'the client was closed'));
    this.#ready?.promise.catch(() => {});
    this.#setState('closed');
    this.emit('close', { code: CloseCode.normal, reason: 'client closed', reconnecting: false });
  }

  /**
   * Joins a room; resolves once the server confirms (if disconnected, on the next connection). The
   * room is rejoined after every reconnect, recovering what was missed meanwhile.
   */
  join(room: string): Promise<JoinResult> {
    let state = this.#rooms.get(room);
    if (state === undefined) {
      state = { joined: false, waiters: [] };
      this.#rooms.set(room, state);
      if (this.#state === 'open') this.#sendJoin(room);
    } else if (state.joined) {
      const position = this.#streams.position(roomStream(room));
      return Promise.resolve({ room, epoch: position?.epoch ?? '', offset: position?.offset ?? 0 });
    }
    const waiting = deferred<JoinResult>();
    state.waiters.push(waiting);
    return waiting.promise;
  }

  /** Leaves a room: no more of its messages, no rejoin. */
  async leave(room: string): Promise<void> {
    const state = this.#rooms.get(room);
    if (state === undefined) return;
    this.#rooms.delete(room);
    this.#streams.drop(roomStream(room));
    for (const waiter of state.waiters) waiter.reject(new RealtimeClientError('RT_CLOSED', `left ${room}`));
    if (this.#state !== 'open') return; // the server forgot the membership with the connection
    await this.#request({ t: 'leave', room });
  }

  /** Publishes and resolves with the message's offset once the server took it. */
  async publish<K extends keyof M & string>(to: Target, ev: K, data: M[K]): Promise<{ offset: number }> {
    const ok = await this.#request({ t: 'pub', to, ev, d: data });
    return { offset: ok.offset ?? 0 };
  }

  /** Publishes without waiting for the server (a refusal arrives as an `error` event). */
  fire<K extends keyof M & string>(to: Target, ev: K, data: M[K]): void {
    this.#send({ t: 'pub', to, ev, d: data });
  }

  /** Round trip to the server, in ms. */
  async ping(): Promise<number> {
    const started = Date.now();
    await this.#request({ t: 'ping' });
    return Date.now() - started;
  }

  /** Listens to one event name's messages, typed. Returns the function that stops listening. */
  onMessage<K extends keyof M & string>(
    ev: K,
    listener: (message: Extract<Delivery<M>, { ev: K }>) => void,
  ): () => void {
    return this.on('message', (message) => {
      if (message.ev === ev) listener(message as Extract<Delivery<M>, { ev: K }>);
    });
  }

  // ---- connection ----

  async #open(): Promise<void> {
    const Ctor = this.#WebSocket as WebSocketConstructorLike;
    let url = this.url;
    try {
      const token =
        typeof this.#options.token === 'function' ? await this.#options.token() : this.#options.token;
      if (token !== undefined) url = withToken(url, token);
    } catch (error) {
      this.emit('error', new RealtimeClientError('RT_DISCONNECTED', `token: ${(error as Error).message}`));
      this.#lost(CLIENT_GAVE_UP, 'no token', false);
      return;
    }
    if (this.#state === 'closed') return;
    let socket: WebSocketLike;
    try {
      socket = new Ctor(url);
    } catch (error) {
      this.emit(
        'error',
        new RealtimeClientError('RT_DISCONNECTED', `cannot open ${url}: ${(error as Error).message}`),
      );
      this.#lost(CLIENT_GAVE_UP, 'cannot open', false);
      return;
    }
    this.#socket = socket;
    this.#openTimer = setTimeout(() => {
      if (this.#socket === socket) this.#giveUp('no welcome in time');
    }, this.#options.openTimeoutMs ?? 10_000);
    socket.onmessage = (event) => {
      if (this.#socket === socket) this.#onFrame(event.data);
    };
    socket.onclose = (event) => {
      if (this.#socket !== socket) return;
      const wasOpen = this.#welcome !== undefined;
      this.#detach();
      this.#lost(event.code, event.reason, wasOpen);
    };
    // Errors are followed by a close event, which does the work.
    socket.onerror = () => {};
  }

  /** Drops the current socket without waiting for its close handshake (it may be dead). */
  #giveUp(reason: string): void {
    const wasOpen = this.#welcome !== undefined;
    const socket = this.#detach();
    try {
      socket?.close(CLIENT_GAVE_UP, reason);
    } catch {
      // Closing a socket that never opened may throw in some implementations; it is dropped anyway.
    }
    this.#lost(CLIENT_GAVE_UP, reason, wasOpen);
  }

  #detach(): WebSocketLike | undefined {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#welcome = undefined;
    clearTimeout(this.#openTimer);
    clearInterval(this.#pingTimer);
    clearTimeout(this.#pongTimer);
    this.#pongTimer = undefined;
    if (socket !== undefined) {
      socket.onmessage = null;
      socket.onclose = null;
      socket.onopen = null;
      socket.onerror = null;
    }
    return socket;
  }

  #lost(code: number, reason: string, wasOpen: boolean): void {
    this.#failPending(new RealtimeClientError('RT_DISCONNECTED', `connection lost (${code})`));
    for (const state of this.#rooms.values()) state.joined = false;
    // Messages held for a recovery that did not finish: recovered again from the stream's position.
    this.#streams.discardHeld();
    if (this.#state === 'closed') return;
    const stop = this.#options.reconnect === false || code === CloseCode.policy;
    if (stop) {
      this.#ready?.reject(new RealtimeClientError('RT_CLOSED', `closed by the server (${code} ${reason})`));
      this.#ready?.promise.catch(() => {});
      this.#setState('closed');
      this.emit('close', { code, reason, reconnecting: false });
      return;
    }
    if (wasOpen) this.#attempt = 0;
    this.#urlIndex = (this.#urlIndex + 1) % this.#urls.length;
    const delayMs = backoffDelay(this.#attempt, { ...BACKOFF_DEFAULTS, ...this.#options.backoff });
    this.#attempt++;
    this.#setState('reconnecting');
    this.emit('close', { code, reason, reconnecting: true, delayMs });
    this.#retryTimer = setTimeout(() => void this.#open(), delayMs);
  }

  #setState(state: ConnectionState): void {
    const previous = this.#state;
    if (previous === state) return;
    this.#state = state;
    this.emit('state', { state, previous });
  }

  // ---- frames ----

  #onFrame(data: unknown): void {
    clearTimeout(this.#pongTimer);
    this.#pongTimer = undefined;
    const text = frameText(data);
    const frame = text === undefined ? undefined : parseServerFrame(text);
    if (frame === undefined) {
      this.emit(
        'error',
        new RealtimeClientError('RT_PROTOCOL', `unreadable frame: ${String(text).slice(0, 200)}`),
      );
      return;
    }
    if (frame.t === 'welcome') {
      this.#onWelcome(frame);
      return;
    }
    if (this.#welcome === undefined) {
      this.emit('error', new RealtimeClientError('RT_PROTOCOL', `a ${frame.t} frame before the welcome`));
      return;
    }
    switch (frame.t) {
      case 'msg':
        this.#onMsg(frame);
        break;
      case 'ok':
      case 'pong':
        this.#settle(frame.id, (pending) => pending.ok(frame as OkFrame));
        break;
      case 'err':
        this.#onErr(frame);
        break;
      case 'presence':
        this.emit('presence', { room: frame.room, user: frame.user, action: frame.action });
        break;
    }
  }

  #onWelcome(welcome: WelcomeFrame): void {
    clearTimeout(this.#openTimer);
    const previousUser = this.#connections > 0 ? this.#lastUser : undefined;
    this.#welcome = welcome;
    this.#lastUser = welcome.user?.id ?? null;
    const reconnected = this.#connections > 0;
    this.#connections++;
    this.#attempt = 0;
    this.#setState('open');
    if (previousUser !== undefined && previousUser !== this.#lastUser) this.#streams.drop('user');
    for (const stream of SERVER_STREAMS) this.#followServerStream(stream, welcome.streams[stream]);
    for (const room of this.#rooms.keys()) this.#sendJoin(room);
    this.#startPing(welcome.heartbeatMs);
    this.emit('open', { url: this.url, reconnected, welcome });
    this.#ready?.resolve(welcome);
  }

  #lastUser: string | null = null;

  /** After a welcome: adopt the stream's position, or recover what was missed since ours. */
  #followServerStream(stream: 'broadcast' | 'user', current: StreamPosition | undefined): void {
    if (current === undefined) {
      this.#streams.drop(stream);
      return;
    }
    const mine = this.#streams.position(stream);
    // Unknown so far, or never with history (epoch ''): nothing to recover from.
    if (mine === undefined || mine.epoch === '') {
      this.#streams.set(stream, current);
      return;
    }
    if (mine.epoch !== current.epoch) {
      this.#streams.set(stream, current);
      this.emit('resync', { stream, reason: 'epoch' });
      return;
    }
    if (current.offset <= mine.offset) return;
    this.#streams.hold(stream);
    this.#recover(stream, mine, current);
  }

  /** Asks for a stream's messages after `since` (its messages are held meanwhile). */
  #recover(stream: string, since: StreamPosition, fallback: StreamPosition | undefined): void {
    this.#request({ t: 'recover', stream, since }).then(
      (ok) => this.#endRecovery(stream, since, ok, fallback),
      (error: Error) => {
        // Refused (e.g. the endpoint has no history): start over. Disconnected: the next welcome recovers.
        if (error instanceof RealtimeServerError) this.#endRecovery(stream, since, undefined, fallback);
      },
    );
  }

  #onMsg(frame: MsgFrame): void {
    const { deliver, gap } = this.#streams.accept(frame);
    this.#deliver(deliver);
    if (gap !== undefined) this.#recover(frame.s, gap, undefined);
  }

  #sendJoin(room: string): void {
    const stream = roomStream(room);
    const known = this.#streams.position(stream);
    const since = known === undefined || known.epoch === '' ? undefined : known;
    this.#streams.hold(stream);
    this.#request({ t: 'join', room, ...(since === undefined ? {} : { since }) }).then(
      (ok) => {
        const state = this.#rooms.get(room);
        if (state === undefined) return; // left meanwhile
        if (since === undefined) {
          this.#deliver(this.#streams.release(stream, { epoch: ok.epoch ?? '', offset: ok.offset ?? 0 }));
        } else {
          this.#endRecovery(stream, since, ok, undefined);
        }
        state.joined = true;
        const position = this.#streams.position(stream);
        const result = { room, epoch: position?.epoch ?? '', offset: position?.offset ?? 0 };
        for (const waiter of state.waiters) waiter.resolve(result);
        state.waiters = [];
      },
      (error: Error) => {
        if (!(error instanceof RealtimeServerError)) return; // disconnected: rejoined on the next connection
        const state = this.#rooms.get(room);
        this.#rooms.delete(room);
        this.#streams.drop(stream);
        if (state === undefined || state.waiters.length === 0) this.emit('error', error);
        for (const waiter of state?.waiters ?? []) waiter.reject(error);
      },
    );
  }

  /** A recovery answered: release the held messages in order, or start over and say `resync`. */
  #endRecovery(
    stream: string,
    since: StreamPosition,
    ok: OkFrame | undefined,
    fallback: StreamPosition | undefined,
  ): void {
    if (ok?.recovered === true) {
      this.#deliver(this.#streams.release(stream));
      return;
    }
    const epoch = ok?.epoch ?? fallback?.epoch ?? since.epoch;
    const offset = ok?.offset ?? fallback?.offset ?? since.offset;
    this.emit('resync', { stream, reason: epoch === since.epoch ? 'history' : 'epoch' });
    this.#deliver(this.#streams.release(stream, { epoch, offset }));
  }

  #deliver(messages: MsgFrame[]): void {
    for (const message of messages) {
      const delivery = {
        stream: message.s,
        offset: message.o,
        ev: message.ev,
        data: message.d,
      } as Delivery<M>;
      if (message.from !== undefined) delivery.from = message.from;
      this.emit('message', delivery);
    }
  }

  #onErr(frame: ErrFrame): void {
    const error = new RealtimeServerError(frame.code, frame.message);
    if (frame.id !== undefined && this.#pending.has(frame.id)) {
      this.#settle(frame.id, (pending) => pending.err(error));
    } else {
      this.emit('error', error);
    }
  }

  // ---- requests ----

  #send(frame: ClientFrame): void {
    const socket = this.#socket;
    if (socket === undefined || this.#welcome === undefined || socket.readyState !== OPEN) {
      throw new RealtimeClientError('RT_NOT_CONNECTED', 'not connected');
    }
    socket.send(JSON.stringify(frame));
  }

  #request(frame: DistributiveOmit<ClientFrame, 'id'>): Promise<OkFrame> {
    return new Promise((resolve, reject) => {
      const id = ++this.#nextId;
      try {
        this.#send({ ...frame, id } as ClientFrame);
      } catch (error) {
        reject(error);
        return;
      }
      const timer = setTimeout(() => {
        this.#settle(id, (pending) =>
          pending.err(new RealtimeClientError('RT_TIMEOUT', `no answer to ${frame.t}`)),
        );
      }, this.#options.requestTimeoutMs ?? 10_000);
      this.#pending.set(id, { ok: resolve, err: reject, timer });
    });
  }

  #settle(id: number, run: (pending: Pending) => void): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    run(pending);
  }

  #failPending(error: RealtimeClientError): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const entry of pending) {
      clearTimeout(entry.timer);
      entry.err(error);
    }
  }

  // ---- liveness ----

  #startPing(heartbeatMs: number): void {
    const every =
      this.#options.pingIntervalMs ?? Math.min(15_000, Math.max(1_000, Math.floor(heartbeatMs / 2)));
    const timeout = this.#options.pongTimeoutMs ?? 10_000;
    clearInterval(this.#pingTimer);
    this.#pingTimer = setInterval(() => {
      const socket = this.#socket;
      if (socket === undefined) return;
      try {
        socket.send(JSON.stringify({ t: 'ping', id: ++this.#nextId }));
      } catch {
        return; // the close event follows
      }
      // Any frame (the pong or anything else) proves the connection alive and clears this timer;
      // one already running keeps its deadline.
      if (this.#pongTimer !== undefined) return;
      this.#pongTimer = setTimeout(() => {
        this.#pongTimer = undefined;
        if (this.#socket === socket) this.#giveUp('no pong in time');
      }, timeout);
    }, every);
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function deferred<T>(): { promise: Promise<T>; resolve(value: T): void; reject(error: Error): void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function withToken(url: string, token: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('token', token);
  return parsed.toString();
}

/** Creates a client (not yet connected: call `connect()`). */
export function createRealtimeClient<M extends MessageMap = MessageMap>(
  options: RealtimeClientOptions,
): RealtimeClient<M> {
  return new RealtimeClient<M>(options);
}
