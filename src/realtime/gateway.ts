/**
 * The HTTP side of the hub: the node server's `upgrade` event, handled here with `ws` in noServer
 * mode, for `/api/1/ws/:endpoint` and its alias `/ws/:endpoint`. Everything is decided before the
 * upgrade, so a refused client gets a plain HTTP answer with the usual JSON error body, never a
 * socket that is opened and then dropped:
 *   503 WS_DRAINING (shutting down), 404 WS_UNKNOWN_ENDPOINT, 400 WS_BAD_TOKEN (`?token=` forged,
 *   expired or for another endpoint), 401 WS_UNAUTHENTICATED, 403 WS_FORBIDDEN (connect policy).
 * The user comes from the `?token=` (src/realtime/tokens.ts) or else the session cookie.
 * One WebSocketServer per distinct `maxBytes`, so `ws` itself closes oversized frames with 1009.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Auth } from '../accounts/auth.js';
import type { Logger } from '../logger.js';
import type { RealtimeUser } from './connection.js';
import { REALTIME_ERROR_STATUS, RealtimeError, type RealtimeErrorCode } from './errors.js';
import type { Realtime } from './hub.js';
import { connectRefusal } from './policy.js';
import type { ConnectionTokens } from './tokens.js';

const PATH = /^(?:\/api\/1)?\/ws\/([^/?#]+)\/?$/;

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  503: 'Service Unavailable',
};

export class RealtimeGateway {
  readonly #hub: Realtime;
  readonly #auth: Auth;
  readonly #tokens: ConnectionTokens;
  readonly #logger: Logger;
  readonly #draining: () => boolean;
  readonly #servers = new Map<number, WebSocketServer>();
  readonly #listener: (request: IncomingMessage, socket: Duplex, head: Buffer) => void;
  #attached: Server | undefined;

  constructor(hub: Realtime, auth: Auth, tokens: ConnectionTokens, logger: Logger, draining: () => boolean) {
    this.#hub = hub;
    this.#draining = draining;
    this.#auth = auth;
    this.#tokens = tokens;
    this.#logger = logger;
    this.#listener = (request, socket, head) => {
      socket.on('error', ignore);
      this.#upgrade(request, socket, head).catch((error: unknown) => {
        this.#logger.error({ err: error }, 'WebSocket upgrade failed');
        refuse(socket, 500, 'INTERNAL_ERROR', 'The upgrade could not be handled');
      });
    };
  }

  attach(server: Server): void {
    this.#attached = server;
    server.on('upgrade', this.#listener);
  }

  detach(): void {
    this.#attached?.off('upgrade', this.#listener);
    this.#attached = undefined;
    for (const wss of this.#servers.values()) wss.close();
    this.#servers.clear();
  }

  async #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = request.url ?? '/';
    const query = url.indexOf('?');
    const match = PATH.exec(query < 0 ? url : url.slice(0, query));
    if (match === null) {
      // Another upgrade listener may own this path; alone, we answer.
      if ((this.#attached?.listenerCount('upgrade') ?? 1) <= 1) {
        refuse(socket, 404, 'NOT_FOUND', `No WebSocket endpoint at ${url.slice(0, 200)}`);
      }
      return;
    }
    if (this.#hub.draining || this.#draining())
      return refusal(socket, 'WS_DRAINING', 'The instance is shutting down; connect to another');
    let name: string;
    try {
      name = decodeURIComponent(match[1]!);
    } catch {
      return refusal(socket, 'WS_UNKNOWN_ENDPOINT', 'No such WebSocket endpoint');
    }
    const endpoint = await this.#hub.find(name);
    if (endpoint === undefined) {
      return refusal(
        socket,
        'WS_UNKNOWN_ENDPOINT',
        `No WebSocket endpoint named ${JSON.stringify(name.slice(0, 64))}`,
      );
    }
    let user: RealtimeUser | null;
    try {
      user = await this.#user(request, url, query, name);
    } catch (error) {
      if (error instanceof RealtimeError) return refusal(socket, error.code, error.message);
      throw error;
    }
    const refused = connectRefusal(endpoint.policy, user);
    if (refused === 'WS_UNAUTHENTICATED') {
      return refusal(socket, refused, `Endpoint ${name} needs a signed-in user (session cookie or ?token=)`);
    }
    if (refused === 'WS_FORBIDDEN')
      return refusal(socket, refused, `Endpoint ${name} is not open to this user`);
    if (socket.destroyed) return;
    this.#server(endpoint.policy.maxBytes).handleUpgrade(request, socket, head, (ws) => {
      this.#hub.open(ws, endpoint, user).catch((error: unknown) => {
        this.#logger.error({ endpoint: name, err: error }, 'WebSocket connection could not be opened');
        ws.close(1011, 'internal error');
      });
    });
  }

  async #user(
    request: IncomingMessage,
    url: string,
    query: number,
    endpoint: string,
  ): Promise<RealtimeUser | null> {
    if (query >= 0) {
      const token = new URLSearchParams(url.slice(query + 1)).get('token');
      if (token !== null) return this.#tokens.verify(token, endpoint);
    }
    const read = this.#auth.cookie.read(request.headers.cookie);
    if (read.status !== 'valid') return null;
    const record = await this.#auth.sessions.load(read.id);
    if (record?.user == null) return null;
    return { id: record.user.id, roles: record.user.roles ?? [], session: read.id };
  }

  #server(maxPayload: number): WebSocketServer {
    let wss = this.#servers.get(maxPayload);
    if (wss === undefined) {
      wss = new WebSocketServer({
        noServer: true,
        maxPayload,
        perMessageDeflate: false,
        clientTracking: false,
      });
      this.#servers.set(maxPayload, wss);
    }
    return wss;
  }
}

function refusal(socket: Duplex, code: RealtimeErrorCode, message: string): void {
  refuse(socket, REALTIME_ERROR_STATUS[code], code, message);
}

function refuse(socket: Duplex, status: number, code: string, message: string): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      (status === 401 ? 'WWW-Authenticate: Bearer realm="plexus"\r\n' : '') +
      (status === 503 ? 'Retry-After: 1\r\n' : '') +
      'Connection: close\r\n\r\n' +
      body,
  );
}

function ignore(): void {}
