/**
 * The realtime hub (`plexus.realtime`): WebSocket endpoints whose messages reach the right
 * connections on every instance. Protocol: docs/realtime-protocol.md; design: docs/realtime.md.
 *
 * Delivery. A message to a stream (`broadcast`, `user:<id>`, `room:<id>` of one endpoint) is
 * serialised once into its client frame; with history, lua/realtime-publish.lua numbers it, records
 * it and publishes it in one step, and every instance (the publisher too) delivers it from Redis, so
 * a stream's messages arrive in offset order everywhere. Without history the publisher delivers to
 * its own connections at once and the others get it from Redis. Each instance sends the same Buffer
 * to each of its local recipients; nothing is serialised per recipient.
 *
 * Degraded. While Redis cannot be reached a message is delivered to this instance's connections
 * only (offset 0) and counted in `missed`; presence answers from this process and is written back
 * when Redis returns (src/realtime/presence.ts); subscriptions are re-applied by the layer.
 */
import { randomBytes } from 'node:crypto';
import type { RawData, WebSocket } from 'ws';
import type { RealtimeConfig } from '../config/realtime.js';
import { hasCode } from '../errors.js';
import type { WebSocketFigures } from '../instances/report.js';
import { type Logger, silentLogger } from '../logger.js';
import { redisUnreachable as unreachable } from '../redis/fallback.js';
import type { StateChange } from '../redis/layer.js';
import { clusterReachable, type LayerView } from '../redis/view.js';
import { sessionHandle } from '../sessions/handle.js';
import type { SessionsChanged } from '../sessions/sessions.js';
import { type ChannelLayout, Channels } from './channels.js';
import { CONNECTION, Connection, type RealtimeUser, type SocketWithConnection } from './connection.js';
import { EndpointState } from './endpoint-state.js';
import { RealtimeError } from './errors.js';
import { type EndpointOptions, type EndpointPolicy, resolvePolicy } from './policy.js';
import { ENDPOINT_SCOPE, Presence, type PresenceCounts, type PresencePage } from './presence.js';
import {
  CLOSE,
  checkRoomId,
  checkUserId,
  errFrame,
  isRoomId,
  isUserId,
  msgFrameParts,
  parseWire,
  presenceFrame,
  roomStream,
  type StreamName,
  userStream,
} from './protocol.js';
import { type StreamPosition, Streams } from './streams.js';

export interface RealtimeOptions {
  config: RealtimeConfig;
  instanceId: string;
  /** True on Redis Cluster: sharded pub/sub and the per-stream channel layout. */
  clustered: () => boolean;
  logger?: Logger;
}

export interface RealtimePublishResult {
  /** The message's offset in its stream; 0 when the endpoint keeps no history or Redis was down. */
  offset: number;
}

export interface EndpointStats {
  endpoint: string;
  users: number;
  connections: number;
  rooms: number;
  instances: number;
  messagesIn: number;
  messagesOut: number;
}

export interface RealtimeLocalStats {
  connections: number;
  missed: number;
  malformed: number;
  subscriptions: number;
  endpoints: {
    endpoint: string;
    connections: number;
    rooms: number;
    messagesIn: number;
    messagesOut: number;
  }[];
}

/**
 * A control message on a user's stream, for every connection of the user: join or leave a room,
 * or close (policy, 1008).
 */
const CONTROL = -2;
/** Closing a socket that does not answer: cut it after this long. */
const TERMINATE_AFTER_MS = 2000;

export class Realtime {
  readonly instanceId: string;
  readonly config: RealtimeConfig;
  readonly #layer: LayerView;
  readonly #logger: Logger;
  readonly #channels: Channels;
  readonly #streams: Streams;
  readonly #presence: Presence;
  readonly #endpoints = new Map<string, EndpointState>();
  readonly #byId = new Map<string, Connection>();
  /** Session handle (sessionHandle) → the connections authenticated with that session. */
  readonly #bySession = new Map<string, Set<Connection>>();
  readonly #connPrefix = randomBytes(3).toString('hex');
  #connSeq = 0;
  #missed = 0;
  #malformed = 0;
  #draining = false;
  #closed = false;
  #pingTimer: NodeJS.Timeout | undefined;
  #presenceTimer: NodeJS.Timeout | undefined;
  #onState: ((change: StateChange) => void) | undefined;
  #onTopology: (() => void) | undefined;
  /** Endpoint looked up on an upgrade for an unknown name (the runtime endpoints install it). */
  resolveUnknown: ((name: string) => Promise<EndpointState | undefined>) | undefined;

  // Shared socket listeners: `this` is the socket, whose connection is under CONNECTION.
  readonly #onMessage: (this: SocketWithConnection, data: RawData, isBinary: boolean) => void;
  readonly #onClose: (this: SocketWithConnection) => void;

  constructor(layer: LayerView, options: RealtimeOptions) {
    this.#layer = layer;
    this.config = options.config;
    this.instanceId = options.instanceId;
    this.#logger = options.logger ?? silentLogger;
    const clustered = options.clustered();
    if (clustered && options.config.channels === 'endpoint') {
      this.#logger.warn({}, 'REALTIME_CHANNELS=endpoint is not possible on Redis Cluster: using stream');
    }
    const layout: ChannelLayout = options.config.channels === 'stream' || clustered ? 'stream' : 'endpoint';
    this.#channels = new Channels(
      layer,
      layout,
      (endpoint, raw) => this.#onWire(endpoint, raw),
      this.#logger,
    );
    this.#streams = new Streams(layer, options.clustered);
    this.#presence = new Presence(layer, this.#streams, this.#channels, {
      instanceId: this.instanceId,
      ttlMs: options.config.presenceTtlMs,
      logger: this.#logger,
    });
    const hub = this;
    this.#onMessage = function (data, isBinary) {
      const conn = this[CONNECTION];
      if (conn !== undefined) hub.#frame(conn, data, isBinary);
    };
    this.#onClose = function () {
      const conn = this[CONNECTION];
      if (conn !== undefined) hub.#closed_(conn);
    };
  }

  get layout(): ChannelLayout {
    return this.#channels.layout;
  }

  get draining(): boolean {
    return this.#draining;
  }

  /**
   * Defines (or redefines) an endpoint in code, or returns the handle of an existing one when no
   * options are given. Connections already open keep running under the new policy.
   */
  endpoint(name: string, options?: EndpointOptions): RealtimeEndpoint {
    const existing = this.#endpoints.get(name);
    if (existing !== undefined && options === undefined) return new RealtimeEndpoint(this, existing);
    return new RealtimeEndpoint(this, this.define(name, options ?? {}, 'code'));
  }

  /** Installs a policy (code or runtime); an endpoint in code is never replaced from runtime. */
  define(name: string, options: EndpointOptions, source: 'code' | 'runtime'): EndpointState {
    const policy = resolvePolicy(name, options, this.config, source);
    const existing = this.#endpoints.get(name);
    if (existing !== undefined) {
      if (existing.policy.source === 'code' && source === 'runtime') {
        throw new RealtimeError('WS_ENDPOINT_IN_CODE', `Endpoint ${name} is defined in code`);
      }
      existing.policy = policy;
      return existing;
    }
    const state = new EndpointState(policy);
    this.#endpoints.set(name, state);
    return state;
  }

  /** Removes an endpoint: its connections close with 1008. */
  async remove(name: string, source: 'code' | 'runtime'): Promise<boolean> {
    const state = this.#endpoints.get(name);
    if (state === undefined) return false;
    if (state.policy.source === 'code' && source === 'runtime') {
      throw new RealtimeError('WS_ENDPOINT_IN_CODE', `Endpoint ${name} is defined in code`);
    }
    this.#endpoints.delete(name);
    state.removed = true;
    for (const conn of [...state.conns]) this.#close(conn, CLOSE.policy, 'endpoint removed');
    await this.#channels.dropEndpoint(state);
    return true;
  }

  get(name: string): EndpointState | undefined {
    return this.#endpoints.get(name);
  }

  /** The endpoint of that name, looked up in the runtime definitions when not known yet. */
  async find(name: string): Promise<EndpointState | undefined> {
    return this.#endpoints.get(name) ?? (await this.resolveUnknown?.(name));
  }

  list(): EndpointPolicy[] {
    return [...this.#endpoints.values()].map((e) => e.policy);
  }

  /** Starts the ping/pong and presence heartbeats. */
  async start(): Promise<void> {
    if (this.#pingTimer !== undefined || this.#closed) return;
    this.#pingTimer = setInterval(() => this.#ping(), this.config.heartbeatMs);
    this.#pingTimer.unref();
    this.#presenceTimer = setInterval(
      () => void this.#tick(),
      Math.max(100, Math.floor(this.config.presenceTtlMs / 3)),
    );
    this.#presenceTimer.unref();
    this.#onState = (change) => {
      if (change.state === 'ready' && change.previous !== 'ready') void this.#tick(true);
    };
    this.#onTopology = () => void this.#tick(true);
    this.#layer.on('state', this.#onState);
    this.#layer.on('topology', this.#onTopology);
  }

  // --- connections ---------------------------------------------------------------------------

  /** Takes over an upgraded socket: registers it, subscribes, sends the welcome. */
  async open(ws: WebSocket, endpoint: EndpointState, user: RealtimeUser | null): Promise<Connection> {
    const conn = new Connection(`${this.#connPrefix}${(this.#connSeq++).toString(36)}`, ws, endpoint, user);
    (ws as SocketWithConnection)[CONNECTION] = conn;
    ws.on('message', this.#onMessage);
    ws.on('close', this.#onClose);
    ws.on('pong', markAlive);
    ws.on('error', ignore);
    conn.hold();
    this.#byId.set(conn.id, conn);
    endpoint.conns.add(conn);
    endpoint.lastActivity = Date.now();
    const waits: Promise<unknown>[] = [this.#channels.acquire(endpoint, 'broadcast')];
    if (user !== null) {
      let mine = endpoint.users.get(user.id);
      if (mine === undefined) {
        mine = new Set();
        endpoint.users.set(user.id, mine);
      }
      mine.add(conn);
      waits.push(this.#channels.acquire(endpoint, userStream(user.id)));
      if (user.session !== undefined) {
        const handle = sessionHandle(user.session);
        let same = this.#bySession.get(handle);
        if (same === undefined) {
          same = new Set();
          this.#bySession.set(handle, same);
        }
        same.add(conn);
      }
    }
    this.#presence.change('join', endpoint, ENDPOINT_SCOPE, user?.id ?? null);
    await Promise.all(waits);
    const streams: Record<string, StreamPosition> = {};
    const [broadcast, own] = await Promise.all([
      this.#position(endpoint.policy, 'broadcast'),
      user === null ? undefined : this.#position(endpoint.policy, userStream(user.id)),
    ]);
    streams.broadcast = broadcast;
    conn.floor('broadcast', broadcast.offset);
    if (own !== undefined && user !== null) {
      streams.user = own;
      conn.floor(userStream(user.id), own.offset);
    }
    if (conn.closed) return conn;
    const welcome = JSON.stringify({
      t: 'welcome',
      conn: conn.id,
      instance: this.instanceId,
      endpoint: endpoint.name,
      user: user === null ? null : { id: user.id, roles: user.roles },
      streams,
      heartbeatMs: this.config.heartbeatMs,
      maxBytes: endpoint.policy.maxBytes,
    });
    conn.send(welcome, this.config.sendBufferBytes);
    this.#release(conn);
    return conn;
  }

  /** Number of open connections on this instance. */
  get connections(): number {
    return this.#byId.size;
  }

  // --- publishing ----------------------------------------------------------------------------

  /** Publishes `data` (JSON-serialisable) as event `event` on a stream of `endpoint`. */
  async publish(
    endpoint: EndpointState,
    stream: StreamName,
    event: string,
    data: unknown,
    from?: string,
  ): Promise<RealtimePublishResult> {
    let json: string | undefined;
    try {
      json = JSON.stringify(data ?? null);
    } catch (error) {
      throw new RealtimeError('WS_BAD_REQUEST', 'The payload is not JSON-serialisable', { cause: error });
    }
    return this.#publishJson(endpoint, stream, event, json!, from);
  }

  async #publishJson(
    endpoint: EndpointState,
    stream: StreamName,
    event: string,
    json: string,
    from: string | undefined,
  ): Promise<RealtimePublishResult> {
    if (this.#closed) throw new RealtimeError('WS_CLOSED', 'The realtime hub is closed');
    const policy = endpoint.policy;
    if (
      json.length > policy.maxBytes ||
      (json.length * 3 > policy.maxBytes && Buffer.byteLength(json) > policy.maxBytes)
    ) {
      throw new RealtimeError(
        'WS_TOO_LARGE',
        `The payload is larger than ${policy.maxBytes} bytes (maxBytes)`,
      );
    }
    const { head, tail } = msgFrameParts(stream, event, json, from);
    endpoint.lastActivity = Date.now();
    const channel = this.#channels.channel(endpoint.name, stream);
    if (policy.historySize > 0 && clusterReachable(this.#layer)) {
      try {
        const { offset } = await this.#streams.publish(
          policy,
          stream,
          channel,
          `${this.instanceId} ${stream} `,
          head,
          tail,
        );
        return { offset };
      } catch (error) {
        if (!unreachable(error)) throw error;
        this.#missed++;
        // A script that timed out may still run when Redis answers again (a paused server), and
        // deliver it to everyone: delivering it here too would duplicate it. At most once.
        if (hasCode(error, 'REDIS_TIMEOUT')) return { offset: 0 };
      }
      this.#deliverLocally(endpoint, stream, `${head}0${tail}`);
      return { offset: 0 };
    }
    // No history (or Redis down): this instance's connections get it at once, the others from Redis.
    const frame = `${head}0${tail}`;
    this.#deliverLocally(endpoint, stream, frame);
    if (!clusterReachable(this.#layer)) {
      this.#missed++;
      return { offset: 0 };
    }
    try {
      await this.#layer.store.publish(channel, `${this.instanceId} ${stream} 0 ${frame}`);
    } catch (error) {
      this.#missed++;
      this.#logger.debug(
        { endpoint: endpoint.name, stream, err: error },
        'realtime message not sent to other instances',
      );
    }
    return { offset: 0 };
  }

  #deliverLocally(endpoint: EndpointState, stream: StreamName, frame: string): void {
    const targets = endpoint.recipients(stream);
    if (targets !== undefined && targets.size > 0)
      this.#deliver(endpoint, stream, 0, Buffer.from(frame), targets);
  }

  #onWire(endpoint: EndpointState, raw: string): void {
    const message = parseWire(raw);
    if (message === undefined) {
      this.#malformed++;
      return;
    }
    if (message.offset === 0 && message.origin === this.instanceId) return;
    if (message.offset === CONTROL) {
      this.#control(endpoint, message.stream, message.frame);
      return;
    }
    const targets = endpoint.recipients(message.stream);
    if (targets === undefined || targets.size === 0) return;
    this.#deliver(endpoint, message.stream, Math.max(0, message.offset), Buffer.from(message.frame), targets);
  }

  #deliver(
    endpoint: EndpointState,
    stream: StreamName,
    offset: number,
    data: Buffer,
    targets: Set<Connection>,
  ): void {
    const limit = this.config.sendBufferBytes;
    let slow: Connection[] | undefined;
    for (const conn of targets) {
      if (conn.deliver(stream, offset, data, limit)) continue;
      slow ??= [];
      slow.push(conn);
    }
    endpoint.messagesOut += targets.size;
    endpoint.unflushedOut += targets.size;
    if (slow !== undefined) for (const conn of slow) this.#close(conn, CLOSE.slowConsumer, 'slow consumer');
  }

  // --- rooms ---------------------------------------------------------------------------------

  /** Joins a local connection to a room (server side or from its `join` frame). */
  async joinConnection(conn: Connection, room: string): Promise<void> {
    checkRoomId(room);
    if (conn.rooms.has(room) || conn.closed) return;
    const endpoint = conn.endpoint;
    conn.rooms.add(room);
    let members = endpoint.rooms.get(room);
    if (members === undefined) {
      members = new Set();
      endpoint.rooms.set(room, members);
      void this.#claimRooms(endpoint, [room]);
    }
    const firstLocal = conn.user !== null && !hasUser(members, conn.user.id);
    members.add(conn);
    const stream = roomStream(room);
    if (conn.user !== null && firstLocal && !clusterReachable(this.#layer)) {
      this.#localEvent(endpoint, room, conn.user.id, 'join');
    }
    this.#presence.change('join', endpoint, stream, conn.user?.id ?? null);
    await this.#channels.acquire(endpoint, stream);
  }

  leaveConnection(conn: Connection, room: string): void {
    if (!conn.rooms.delete(room)) return;
    const endpoint = conn.endpoint;
    const members = endpoint.rooms.get(room);
    members?.delete(conn);
    if (members !== undefined && members.size === 0) endpoint.rooms.delete(room);
    const stream = roomStream(room);
    if (conn.user !== null && !clusterReachable(this.#layer) && !hasUser(members, conn.user.id)) {
      this.#localEvent(endpoint, room, conn.user.id, 'leave');
    }
    this.#presence.change('leave', endpoint, stream, conn.user?.id ?? null);
    this.#channels.release(endpoint, stream);
  }

  /** Joins (or leaves) a room for a connection id of this instance, or every connection of a user. */
  async joinOrLeave(
    endpoint: EndpointState,
    target: string,
    room: string,
    action: 'join' | 'leave',
  ): Promise<void> {
    checkRoomId(room);
    const conn = this.#byId.get(target);
    if (conn !== undefined && conn.endpoint === endpoint) {
      if (action === 'join') await this.joinConnection(conn, room);
      else this.leaveConnection(conn, room);
      return;
    }
    checkUserId(target);
    await this.#sendControl(endpoint, userStream(target), JSON.stringify({ a: action, room }));
  }

  /** Closes every connection of user `userId` on the endpoint, on every instance, with 1008. */
  async disconnectUser(endpoint: EndpointState, userId: string, reason: string): Promise<void> {
    checkUserId(userId);
    await this.#sendControl(endpoint, userStream(userId), JSON.stringify({ a: 'close', reason }));
  }

  /** Sends a control message to every instance (this one included); here alone while Redis is away. */
  async #sendControl(endpoint: EndpointState, stream: StreamName, body: string): Promise<void> {
    if (clusterReachable(this.#layer)) {
      try {
        await this.#layer.store.publish(
          this.#channels.channel(endpoint.name, stream),
          `${this.instanceId} ${stream} ${CONTROL} ${body}`,
        );
        return;
      } catch (error) {
        if (!unreachable(error)) throw error;
      }
    }
    this.#control(endpoint, stream, body);
  }

  #control(endpoint: EndpointState, stream: StreamName, body: string): void {
    let parsed: { a?: unknown; room?: unknown; reason?: unknown };
    try {
      parsed = JSON.parse(body) as { a?: unknown; room?: unknown; reason?: unknown };
    } catch {
      this.#malformed++;
      return;
    }
    if (parsed.a === 'close') {
      const reason = closeReason(parsed.reason);
      for (const conn of [...(endpoint.recipients(stream) ?? [])]) this.#close(conn, CLOSE.policy, reason);
      return;
    }
    if (!isRoomId(parsed.room)) return;
    const room = parsed.room;
    for (const conn of endpoint.recipients(stream) ?? []) {
      if (parsed.a === 'join') void this.joinConnection(conn, room).catch(ignore);
      else if (parsed.a === 'leave') this.leaveConnection(conn, room);
    }
  }

  #localEvent(endpoint: EndpointState, room: string, user: string, action: 'join' | 'leave'): void {
    const members = endpoint.rooms.get(room);
    if (members === undefined || members.size === 0) return;
    this.#deliver(endpoint, roomStream(room), 0, Buffer.from(presenceFrame(room, user, action)), members);
  }

  async #claimRooms(endpoint: EndpointState, rooms: readonly string[]): Promise<void> {
    if (rooms.length === 0 || !clusterReachable(this.#layer)) return;
    const expires = Date.now() + this.config.presenceTtlMs;
    await this.#layer.store
      .zAdd(
        this.#layer.keys.realtime.rooms(endpoint.name),
        rooms.map((member) => ({ member, score: expires })),
      )
      .catch(ignore);
  }

  // --- client frames -------------------------------------------------------------------------

  #frame(conn: Connection, data: RawData, isBinary: boolean): void {
    conn.alive = true;
    if (conn.closed) return;
    const endpoint = conn.endpoint;
    if (isBinary) {
      this.#close(conn, CLOSE.unsupported, 'binary frames are not accepted');
      return;
    }
    const now = Date.now();
    if (now - conn.rateWindow >= 1000) {
      conn.rateWindow = now;
      conn.rateCount = 0;
    }
    if (++conn.rateCount > endpoint.policy.ratePerSecond) {
      this.#close(conn, CLOSE.rateLimited, 'rate limited');
      return;
    }
    endpoint.messagesIn++;
    endpoint.unflushedIn++;
    endpoint.lastActivity = now;
    let frame: unknown;
    try {
      frame = JSON.parse(rawText(data));
    } catch {
      this.#err(conn, undefined, 'WS_BAD_REQUEST', 'The frame is not valid JSON');
      return;
    }
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
      this.#err(conn, undefined, 'WS_BAD_REQUEST', 'A frame is a JSON object with a `t` field');
      return;
    }
    const f = frame as Record<string, unknown>;
    const id = typeof f.id === 'number' && Number.isSafeInteger(f.id) && f.id > 0 ? f.id : undefined;
    switch (f.t) {
      case 'ping':
        conn.send(id === undefined ? '{"t":"pong"}' : `{"t":"pong","id":${id}}`, this.config.sendBufferBytes);
        return;
      case 'pub':
        this.#clientPub(conn, f, id);
        return;
      case 'join':
        this.#handle(conn, id, this.#clientJoin(conn, f, id));
        return;
      case 'leave':
        this.#clientLeave(conn, f, id);
        return;
      case 'recover':
        this.#handle(conn, id, this.#clientRecover(conn, f, id));
        return;
      default:
        this.#err(conn, id, 'WS_BAD_REQUEST', `Unknown frame type ${JSON.stringify(f.t ?? null)}`);
    }
  }

  #clientPub(conn: Connection, f: Record<string, unknown>, id: number | undefined): void {
    const policy = conn.endpoint.policy;
    const to = f.to;
    const event = f.ev;
    if (typeof event !== 'string' || event.length === 0 || event.length > 128) {
      this.#err(conn, id, 'WS_BAD_REQUEST', '`ev` must be a string of 1 to 128 characters');
      return;
    }
    let stream: StreamName | undefined;
    let audience: 'broadcast' | 'room' | 'user' | undefined;
    if (to === 'broadcast') {
      stream = 'broadcast';
      audience = 'broadcast';
    } else if (typeof to === 'string' && to.startsWith('room:') && isRoomId(to.slice(5))) {
      stream = to;
      audience = 'room';
    } else if (typeof to === 'string' && to.startsWith('user:') && isUserId(to.slice(5))) {
      stream = to;
      audience = 'user';
    }
    if (stream === undefined || audience === undefined) {
      this.#err(conn, id, 'WS_BAD_REQUEST', '`to` must be "broadcast", "room:<id>" or "user:<id>"');
      return;
    }
    if (!policy.clientPublish.has(audience)) {
      this.#err(
        conn,
        id,
        'WS_FORBIDDEN',
        `Clients may not publish to ${audience} on endpoint ${policy.name}`,
      );
      return;
    }
    const json = JSON.stringify(f.d ?? null);
    const sent = this.#publishJson(conn.endpoint, stream, event, json, conn.user?.id);
    if (id === undefined) {
      sent.catch((error: unknown) => this.#refused(conn, undefined, error));
      return;
    }
    sent.then(
      ({ offset }) => conn.send(`{"t":"ok","id":${id},"offset":${offset}}`, this.config.sendBufferBytes),
      (error: unknown) => this.#refused(conn, id, error),
    );
  }

  async #clientJoin(conn: Connection, f: Record<string, unknown>, id: number | undefined): Promise<void> {
    const policy = conn.endpoint.policy;
    if (!policy.clientJoin) {
      throw new RealtimeError('WS_FORBIDDEN', `Clients may not join rooms on endpoint ${policy.name}`);
    }
    if (!isRoomId(f.room))
      throw new RealtimeError('WS_BAD_REQUEST', '`room` must be 1 to 128 of A-Z a-z 0-9 _ . : @ -');
    const since = f.since === undefined ? undefined : parseSince(f.since);
    conn.hold();
    try {
      await this.joinConnection(conn, f.room);
      await this.#answerPosition(conn, roomStream(f.room), since, id, true);
    } finally {
      this.#release(conn);
    }
  }

  #clientLeave(conn: Connection, f: Record<string, unknown>, id: number | undefined): void {
    if (!isRoomId(f.room)) {
      this.#err(conn, id, 'WS_BAD_REQUEST', '`room` must be 1 to 128 of A-Z a-z 0-9 _ . : @ -');
      return;
    }
    this.leaveConnection(conn, f.room);
    if (id !== undefined) conn.send(`{"t":"ok","id":${id}}`, this.config.sendBufferBytes);
  }

  async #clientRecover(conn: Connection, f: Record<string, unknown>, id: number | undefined): Promise<void> {
    let stream: StreamName;
    if (f.stream === 'broadcast') stream = 'broadcast';
    else if (f.stream === 'user' && conn.user !== null) stream = userStream(conn.user.id);
    else if (
      typeof f.stream === 'string' &&
      f.stream.startsWith('room:') &&
      conn.rooms.has(f.stream.slice(5))
    ) {
      stream = f.stream;
    } else {
      throw new RealtimeError(
        'WS_BAD_REQUEST',
        '`stream` must be "broadcast", "user" (signed in) or a joined "room:<id>"',
      );
    }
    const since = parseSince(f.since);
    conn.hold();
    try {
      await this.#answerPosition(conn, stream, since, id, false);
    } finally {
      this.#release(conn);
    }
  }

  /** Sends the missed frames (when `since`) and the `ok` with the stream's position. */
  async #answerPosition(
    conn: Connection,
    stream: StreamName,
    since: StreamPosition | undefined,
    id: number | undefined,
    named: boolean,
  ): Promise<void> {
    const policy = conn.endpoint.policy;
    const limit = this.config.sendBufferBytes;
    const ok: Record<string, unknown> = { t: 'ok' };
    if (id !== undefined) ok.id = id;
    if (named) ok.stream = stream;
    if (since !== undefined && policy.historySize > 0 && clusterReachable(this.#layer)) {
      const recovery = await this.#streams.recover(policy, stream, since);
      for (const frame of recovery.frames) conn.send(frame, limit);
      conn.floor(stream, recovery.offset);
      Object.assign(ok, { epoch: recovery.epoch, offset: recovery.offset, recovered: recovery.recovered });
    } else {
      const position = await this.#position(policy, stream);
      conn.floor(stream, position.offset);
      Object.assign(ok, position);
      if (since !== undefined) ok.recovered = false;
    }
    conn.send(JSON.stringify(ok), limit);
  }

  async #position(policy: EndpointPolicy, stream: StreamName): Promise<StreamPosition> {
    if (policy.historySize === 0 || !clusterReachable(this.#layer)) return { epoch: '', offset: 0 };
    try {
      return await this.#streams.position(policy, stream);
    } catch (error) {
      if (!unreachable(error)) throw error;
      return { epoch: '', offset: 0 };
    }
  }

  #handle(conn: Connection, id: number | undefined, work: Promise<void>): void {
    work.catch((error: unknown) => this.#refused(conn, id, error));
  }

  #refused(conn: Connection, id: number | undefined, error: unknown): void {
    if (error instanceof RealtimeError) {
      this.#err(conn, id, error.code, error.message);
      return;
    }
    if (unreachable(error)) {
      this.#err(conn, id, 'REDIS_UNAVAILABLE', 'Redis is unavailable, retry shortly');
      return;
    }
    this.#logger.error({ endpoint: conn.endpoint.name, err: error }, 'realtime frame failed');
    this.#err(conn, id, 'INTERNAL_ERROR', 'The frame could not be handled');
  }

  #err(conn: Connection, id: number | undefined, code: string, message: string): void {
    conn.send(errFrame(id, code, message), this.config.sendBufferBytes);
  }

  #release(conn: Connection): void {
    if (!conn.release(this.config.sendBufferBytes)) this.#close(conn, CLOSE.slowConsumer, 'slow consumer');
  }

  // --- sessions ------------------------------------------------------------------------------

  /**
   * Sessions changed or ended somewhere in the cluster (Sessions.onChanged): the connections of a
   * session that no longer loads close with 1008, and so does every connection of a user whose
   * sessions a logout-all ended that cannot be checked (opened with a connection token). A session
   * that merely changed (its data) loads, and its connections stay.
   */
  async sessionsChanged(
    change: SessionsChanged,
    alive: (sessionId: string) => Promise<boolean>,
  ): Promise<void> {
    const check = new Map<string, Connection[]>();
    const add = (conn: Connection) => {
      const id = conn.user?.session;
      if (id === undefined) return;
      const list = check.get(id);
      if (list === undefined) check.set(id, [conn]);
      else list.push(conn);
    };
    if ('handles' in change) {
      for (const handle of change.handles) for (const conn of this.#bySession.get(handle) ?? []) add(conn);
    } else {
      for (const endpoint of this.#endpoints.values()) {
        for (const conn of [...(endpoint.users.get(change.userId) ?? [])]) {
          if (conn.user?.session === undefined) this.#close(conn, CLOSE.policy, 'signed out');
          else add(conn);
        }
      }
    }
    await Promise.all(
      [...check].map(async ([id, conns]) => {
        let ok: boolean;
        try {
          ok = await alive(id);
        } catch {
          return; // could not tell (Redis and the database away): the connection stays
        }
        if (!ok) for (const conn of conns) this.#close(conn, CLOSE.policy, 'signed out');
      }),
    );
  }

  // --- closing -------------------------------------------------------------------------------

  #close(conn: Connection, code: number, reason: string): void {
    if (conn.closed) return;
    conn.ws.close(code, reason);
    // A peer that does not answer the close handshake (dead, or not reading) is cut.
    setTimeout(() => conn.ws.terminate(), TERMINATE_AFTER_MS).unref();
    this.#closed_(conn);
  }

  /** Forgets a connection (its socket closed, or is closing). */
  #closed_(conn: Connection): void {
    if (conn.closed) return;
    conn.closed = true;
    this.#byId.delete(conn.id);
    const endpoint = conn.endpoint;
    for (const room of [...conn.rooms]) this.leaveConnection(conn, room);
    endpoint.conns.delete(conn);
    endpoint.lastActivity = Date.now();
    this.#channels.release(endpoint, 'broadcast');
    const user = conn.user;
    if (user !== null) {
      const mine = endpoint.users.get(user.id);
      mine?.delete(conn);
      if (mine !== undefined && mine.size === 0) endpoint.users.delete(user.id);
      this.#channels.release(endpoint, userStream(user.id));
      if (user.session !== undefined) {
        const handle = sessionHandle(user.session);
        const same = this.#bySession.get(handle);
        same?.delete(conn);
        if (same !== undefined && same.size === 0) this.#bySession.delete(handle);
      }
    }
    if (!endpoint.removed) this.#presence.change('leave', endpoint, ENDPOINT_SCOPE, user?.id ?? null);
  }

  #ping(): void {
    for (const conn of this.#byId.values()) {
      if (!conn.alive) {
        this.#close(conn, CLOSE.heartbeat, 'heartbeat missed');
        continue;
      }
      conn.alive = false;
      try {
        conn.ws.ping();
      } catch {
        // The socket is closing; its close event forgets it.
      }
    }
  }

  async #tick(all = false): Promise<void> {
    if (this.#closed) return;
    const endpoints = [...this.#endpoints.values()];
    await this.#presence.heartbeat(endpoints, all);
    if (!clusterReachable(this.#layer)) return;
    await Promise.allSettled(
      endpoints.map(async (endpoint) => {
        await this.#claimRooms(endpoint, [...endpoint.rooms.keys()]);
        const messagesIn = endpoint.unflushedIn;
        const messagesOut = endpoint.unflushedOut;
        if (messagesIn === 0 && messagesOut === 0) return;
        endpoint.unflushedIn = 0;
        endpoint.unflushedOut = 0;
        const key = this.#layer.keys.realtime.stats(endpoint.name);
        try {
          await Promise.all([
            this.#layer.store.hIncrBy(key, 'in', messagesIn),
            this.#layer.store.hIncrBy(key, 'out', messagesOut),
          ]);
        } catch {
          endpoint.unflushedIn += messagesIn;
          endpoint.unflushedOut += messagesOut;
        }
      }),
    );
  }

  /**
   * Graceful shutdown, first half: refuse new connections, take this instance's users out of
   * presence, then close every connection with 1001 (going away).
   */
  async drain(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    clearInterval(this.#pingTimer);
    clearInterval(this.#presenceTimer);
    const endpoints = [...this.#endpoints.values()];
    for (const endpoint of endpoints) endpoint.removed = true; // no presence writes from the closes
    await this.#presence.removeAll(endpoints);
    for (const conn of [...this.#byId.values()]) this.#close(conn, CLOSE.goingAway, 'server shutting down');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.drain();
    this.#closed = true;
    if (this.#onState !== undefined) this.#layer.off('state', this.#onState);
    if (this.#onTopology !== undefined) this.#layer.off('topology', this.#onTopology);
    await this.#channels.close();
  }

  // --- figures -------------------------------------------------------------------------------

  async presence(endpoint: EndpointState, room?: string): Promise<PresenceCounts> {
    if (room !== undefined) checkRoomId(room);
    const scope = room === undefined ? ENDPOINT_SCOPE : roomStream(room);
    if (clusterReachable(this.#layer)) {
      try {
        return await this.#presence.read(endpoint, scope);
      } catch (error) {
        if (!unreachable(error)) throw error;
      }
    }
    const members = room === undefined ? endpoint.conns : (endpoint.rooms.get(room) ?? new Set<Connection>());
    const users = new Set<string>();
    for (const conn of members) if (conn.user !== null) users.add(conn.user.id);
    return { users: users.size, connections: members.size, instances: members.size > 0 ? 1 : 0 };
  }

  async online(endpoint: EndpointState, user: string): Promise<{ online: boolean; instances: string[] }> {
    checkUserId(user);
    let instances: string[] | undefined;
    if (clusterReachable(this.#layer)) {
      try {
        instances = await this.#presence.online(endpoint, user);
      } catch (error) {
        if (!unreachable(error)) throw error;
      }
    }
    instances ??= endpoint.users.has(user) ? [this.instanceId] : [];
    return { online: instances.length > 0, instances };
  }

  /**
   * One page of the users online on `endpoint` (or in one of its rooms), with the instances where
   * each is connected, in byte order of their ids, after the id `after` ('' from the start). This
   * instance's users only while Redis is unreachable.
   */
  async onlineUsers(
    endpoint: EndpointState,
    options: { room?: string; after?: string; limit: number },
  ): Promise<PresencePage> {
    const { room, after = '', limit } = options;
    if (room !== undefined) checkRoomId(room);
    const scope = room === undefined ? ENDPOINT_SCOPE : roomStream(room);
    if (clusterReachable(this.#layer)) {
      try {
        return await this.#presence.list(endpoint, scope, after, limit);
      } catch (error) {
        if (!unreachable(error)) throw error;
      }
    }
    const members = room === undefined ? endpoint.conns : (endpoint.rooms.get(room) ?? new Set<Connection>());
    const ids = new Set<string>();
    for (const conn of members)
      if (conn.user !== null && byteAfter(conn.user.id, after)) ids.add(conn.user.id);
    const sorted = [...ids].sort(byteOrder);
    const users = sorted.slice(0, limit).map((id) => ({ id, instances: [this.instanceId] }));
    return { users, more: sorted.length > limit ? users[users.length - 1]!.id : null };
  }

  /** Per endpoint, cluster-wide (this instance's figures when Redis is unreachable). */
  async stats(): Promise<EndpointStats[]> {
    return Promise.all(
      [...this.#endpoints.values()].map(async (endpoint) => {
        const counts = await this.presence(endpoint);
        let rooms = endpoint.rooms.size;
        let messagesIn = endpoint.messagesIn;
        let messagesOut = endpoint.messagesOut;
        if (clusterReachable(this.#layer)) {
          const { store, keys } = this.#layer;
          try {
            const roomsKey = keys.realtime.rooms(endpoint.name);
            await store.zRemRangeByScore(roomsKey, Number.NEGATIVE_INFINITY, Date.now());
            const [claimed, totals] = await Promise.all([
              store.zCard(roomsKey),
              store.hGetAll(keys.realtime.stats(endpoint.name)),
            ]);
            rooms = Math.max(claimed, rooms);
            messagesIn = Number(totals.in ?? 0) + endpoint.unflushedIn;
            messagesOut = Number(totals.out ?? 0) + endpoint.unflushedOut;
          } catch (error) {
            if (!unreachable(error)) throw error;
          }
        }
        return { endpoint: endpoint.name, ...counts, rooms, messagesIn, messagesOut };
      }),
    );
  }

  localStats(): RealtimeLocalStats {
    return {
      connections: this.#byId.size,
      missed: this.#missed,
      malformed: this.#malformed,
      subscriptions: this.#channels.size,
      endpoints: [...this.#endpoints.values()].map((e) => ({
        endpoint: e.name,
        connections: e.conns.size,
        rooms: e.rooms.size,
        messagesIn: e.messagesIn,
        messagesOut: e.messagesOut,
      })),
    };
  }

  /** This instance's figures for the instance report (`instances.provideWebSocket`). */
  websocketFigures(): WebSocketFigures {
    let messages = 0;
    const namespaces = [...this.#endpoints.values()].map((e) => {
      messages += e.messagesIn + e.messagesOut;
      return {
        path: `/api/1/ws/${e.name}`,
        connections: e.conns.size,
        messages: e.messagesIn + e.messagesOut,
        lastActivity: e.lastActivity,
      };
    });
    return { connections: this.#byId.size, messages, namespaces };
  }
}

/** What applications hold: one endpoint's server-side API. */
export class RealtimeEndpoint {
  readonly #hub: Realtime;
  readonly #state: EndpointState;

  constructor(hub: Realtime, state: EndpointState) {
    this.#hub = hub;
    this.#state = state;
  }

  get name(): string {
    return this.#state.name;
  }

  get policy(): EndpointPolicy {
    return this.#state.policy;
  }

  /** Every connection of the endpoint, on every instance. */
  broadcast(event: string, data: unknown): Promise<RealtimePublishResult> {
    return this.#hub.publish(this.#state, 'broadcast', event, data);
  }

  /** Every connection of user `userId` on the endpoint, on every instance. */
  toUser(userId: string, event: string, data: unknown): Promise<RealtimePublishResult> {
    checkUserId(userId);
    return this.#hub.publish(this.#state, userStream(userId), event, data);
  }

  /** Every member of room `room`, on every instance. */
  toRoom(room: string, event: string, data: unknown): Promise<RealtimePublishResult> {
    checkRoomId(room);
    return this.#hub.publish(this.#state, roomStream(room), event, data);
  }

  /** Joins a connection (by its id, on this instance) or every connection of a user (cluster-wide). */
  join(connectionOrUserId: string, room: string): Promise<void> {
    return this.#hub.joinOrLeave(this.#state, connectionOrUserId, room, 'join');
  }

  leave(connectionOrUserId: string, room: string): Promise<void> {
    return this.#hub.joinOrLeave(this.#state, connectionOrUserId, room, 'leave');
  }

  /**
   * Closes every connection of user `userId` on the endpoint, on every instance, with 1008 and
   * `reason` (cut to the protocol's 123 bytes): clients do not reconnect after it. A new connection
   * is up to the endpoint's own checks (a revoked credential, a removed role) to refuse.
   */
  disconnect(userId: string, reason: string): Promise<void> {
    return this.#hub.disconnectUser(this.#state, userId, reason);
  }

  /** Users, connections and instances in the endpoint, or in one of its rooms. */
  presence(room?: string): Promise<PresenceCounts> {
    return this.#hub.presence(this.#state, room);
  }

  online(userId: string): Promise<{ online: boolean; instances: string[] }> {
    return this.#hub.online(this.#state, userId);
  }
}

function parseSince(value: unknown): StreamPosition {
  const since = value as { epoch?: unknown; offset?: unknown } | null;
  if (
    typeof since !== 'object' ||
    since === null ||
    typeof since.epoch !== 'string' ||
    typeof since.offset !== 'number' ||
    !Number.isSafeInteger(since.offset) ||
    since.offset < 0
  ) {
    throw new RealtimeError('WS_BAD_REQUEST', '`since` must be {"epoch": string, "offset": integer >= 0}');
  }
  return { epoch: since.epoch, offset: since.offset };
}

/** A close frame's reason: a string of at most 123 bytes (the protocol's limit), else `closed`. */
function closeReason(value: unknown): string {
  if (typeof value !== 'string') return 'closed';
  let reason = value.slice(0, 123);
  while (Buffer.byteLength(reason) > 123) reason = reason.slice(0, -1);
  return reason;
}

function hasUser(members: Set<Connection> | undefined, user: string): boolean {
  if (members === undefined) return false;
  for (const conn of members) if (conn.user?.id === user) return true;
  return false;
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function markAlive(this: SocketWithConnection): void {
  const conn = this[CONNECTION];
  if (conn !== undefined) conn.alive = true;
}

function ignore(): void {}

/** Byte order of UTF-8 strings (as Redis and Lua compare them). */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function byteAfter(id: string, after: string): boolean {
  return after === '' || byteOrder(id, after) > 0;
}
