/**
 * `plexus/realtime-client`: the browser (and Node) client of Plexus's realtime endpoints
 * (docs/realtime-client.md, wire protocol in docs/realtime-protocol.md). No dependencies; in Node 20
 * pass `WebSocket` from the `ws` package.
 *
 *   const client = createRealtimeClient<{ chat: { text: string } }>({ url: 'wss://host/api/1/ws/chat' });
 *   client.onMessage('chat', (m) => show(m.data.text));
 *   await client.connect();
 *   await client.join('lobby');
 *   await client.publish('room:lobby', 'chat', { text: 'hi' });
 */
export { BACKOFF_DEFAULTS, type BackoffOptions, backoffDelay } from './backoff.js';
export {
  CLIENT_GAVE_UP,
  type CloseEvent,
  type ConnectionState,
  createRealtimeClient,
  type Delivery,
  type JoinResult,
  type MessageMap,
  type OpenEvent,
  type PresenceEvent,
  RealtimeClient,
  type RealtimeClientEvents,
  type RealtimeClientOptions,
  type ResyncEvent,
  type StateEvent,
  type Target,
} from './client.js';
export { RealtimeClientError, type RealtimeClientErrorCode, RealtimeServerError } from './errors.js';
export { CloseCode, type StreamPosition, type WelcomeFrame } from './protocol.js';
export type { WebSocketConstructorLike, WebSocketLike } from './socket.js';
