/**
 * How players learn about their match. The app calls a `Notifier` it is given; the default sends
 * nothing (players poll `GET /api/1/matchmaking/status`). An adapter over the realtime module
 * (`plexus.realtime.endpoint(name).toUser(userId, event, data)`) is one function: see
 * docs/matchmaking.md. A failed notification is logged and never undoes a match.
 */
export type MatchmakingEvent = 'match.found' | 'match.server' | 'match.failed' | 'match.finished';

export interface Notifier {
  notify(userId: string, event: MatchmakingEvent, data: unknown): Promise<void> | void;
}

export const silentNotifier: Notifier = { notify: () => undefined };
