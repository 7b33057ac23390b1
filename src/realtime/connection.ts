/**
 * One client connection: its socket, user, rooms, rate window and the deliveries held while its
 * welcome or a recovery is prepared. Kept small (a few hundred bytes beside the socket) and without
 * per-connection closures: the socket's listeners are shared functions that find the connection
 * through a symbol on the socket.
 */
import type { WebSocket } from 'ws';
import { corkForTurn } from './cork.js';
import type { EndpointState } from './endpoint-state.js';
import type { StreamName } from './protocol.js';

export interface RealtimeUser {
  id: string;
  roles: readonly string[];
  /**
   * The session the connection was authenticated with (the cookie's session id), absent for a
   * connection token. Never sent to anyone: the hub checks it when sessions end (logout).
   */
  session?: string;
}

interface Held {
  stream: StreamName;
  offset: number;
  data: Buffer;
}

export const CONNECTION = Symbol('plexus.realtime.connection');

export type SocketWithConnection = WebSocket & { [CONNECTION]?: Connection };

/** Sent as text frames, uncompressed: one Buffer shared by every recipient. */
const TEXT = { binary: false, compress: false } as const;

export class Connection {
  readonly id: string;
  readonly ws: WebSocket;
  readonly endpoint: EndpointState;
  readonly user: RealtimeUser | null;
  readonly rooms = new Set<string>();
  /** Answered (pong or a frame) since the last ping. */
  alive = true;
  closed = false;
  rateWindow = 0;
  rateCount = 0;
  #holds = 0;
  #held: Held[] = [];
  #heldBytes = 0;
  /** Per stream: held deliveries at or below this offset were already given, drop them. */
  #floor: Map<StreamName, number> | undefined;

  constructor(id: string, ws: WebSocket, endpoint: EndpointState, user: RealtimeUser | null) {
    this.id = id;
    this.ws = ws;
    this.endpoint = endpoint;
    this.user = user;
  }

  get holding(): boolean {
    return this.#holds > 0;
  }

  /** Queue deliveries from now until the matching `release`. */
  hold(): void {
    this.#holds++;
  }

  /** Drop held deliveries of `stream` at or below `offset` (the client has them, or starts after). */
  floor(stream: StreamName, offset: number): void {
    this.#floor ??= new Map();
    this.#floor.set(stream, Math.max(offset, this.#floor.get(stream) ?? 0));
  }

  /** Ends one hold; the last one sends what was held, in order. Returns false when the buffer overflowed. */
  release(limit: number): boolean {
    if (this.#holds === 0 || --this.#holds > 0) return true;
    const held = this.#held;
    const floor = this.#floor;
    this.#held = [];
    this.#heldBytes = 0;
    this.#floor = undefined;
    for (const item of held) {
      if (floor !== undefined && item.offset > 0 && item.offset <= (floor.get(item.stream) ?? 0)) continue;
      if (!this.send(item.data, limit)) return false;
    }
    return true;
  }

  /**
   * Delivers one frame (or holds it). Returns false when the connection's send buffer passed
   * `limit`: the caller closes it as a slow consumer.
   */
  deliver(stream: StreamName, offset: number, data: Buffer, limit: number): boolean {
    if (this.#holds > 0) {
      this.#held.push({ stream, offset, data });
      this.#heldBytes += data.length;
      return this.#heldBytes <= limit;
    }
    return this.send(data, limit);
  }

  send(data: Buffer | string, limit: number): boolean {
    if (this.closed) return true;
    if (this.ws.bufferedAmount > limit) return false;
    corkForTurn(this.ws);
    this.ws.send(data, TEXT);
    return true;
  }
}
