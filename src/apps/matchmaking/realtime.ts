/**
 * The matchmaking app's realtime endpoint and the notifier over it: match events go to every
 * connection of each player (`toUser`, their user stream on every instance), with the hub's history
 * so a client that reconnects recovers what it missed; `GET /api/1/matchmaking/status` stays the
 * fallback. The endpoint is defined in code when the app is created: signed-in players connect to
 * `/api/1/ws/matchmaking` (session cookie, or a token from `POST /api/1/ws/matchmaking/token`) and
 * only listen: no client publishing, no rooms.
 */
import type { EndpointOptions, Realtime } from '../../realtime/index.js';
import type { Notifier } from './notifier.js';

export const MATCHMAKING_ENDPOINT = 'matchmaking';

export const MATCHMAKING_ENDPOINT_OPTIONS: EndpointOptions = {
  connect: 'signed-in',
  clientPublish: [],
  clientJoin: false,
};

/** Defines the endpoint (`name`) on `realtime` and returns a notifier that publishes to it. */
export function realtimeNotifier(realtime: Realtime, name: string = MATCHMAKING_ENDPOINT): Notifier {
  const endpoint = realtime.endpoint(name, MATCHMAKING_ENDPOINT_OPTIONS);
  return {
    async notify(userId, event, data) {
      await endpoint.toUser(userId, event, data);
    },
  };
}
