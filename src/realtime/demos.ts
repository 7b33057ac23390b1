/**
 * The seed's four WebSocket endpoints, which the reference server defines as demos (seed 004:
 * `/ws/jpulse-ws-status`, `/ws/jpulse-ws-test`, `/ws/hello-emoji`, `/ws/hello-todo`). Each is
 * isolated from the others; anyone may connect.
 */
import type { Realtime } from './hub.js';
import type { EndpointOptions } from './policy.js';

export const DEMO_ENDPOINTS: Readonly<Record<string, EndpointOptions>> = {
  /** System status updates: published by the server (REST or code), read by anyone. */
  'jpulse-ws-status': { connect: 'anyone', clientPublish: [] },
  /** Testing and development: clients may publish to every audience. */
  'jpulse-ws-test': { connect: 'anyone', clientPublish: ['broadcast', 'room', 'user'] },
  /** Emoji reactions: clients broadcast to each other and to rooms. */
  'hello-emoji': { connect: 'anyone', clientPublish: ['broadcast', 'room'], maxBytes: 4096 },
  /** Todo list sync: clients broadcast their changes. */
  'hello-todo': { connect: 'anyone', clientPublish: ['broadcast', 'room'] },
};

export function defineDemoEndpoints(realtime: Realtime): void {
  for (const [name, options] of Object.entries(DEMO_ENDPOINTS)) realtime.endpoint(name, options);
}
