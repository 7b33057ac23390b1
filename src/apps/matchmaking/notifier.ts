/**
 * How players learn about their match. The app calls a `Notifier`: by default the one over the
 * realtime endpoint `matchmaking` (realtime.ts: `toUser` on every instance), or one given to
 * `createMatchmakingApp({ notifier })`. Players can always poll `GET /api/1/matchmaking/status`.
 * A failed notification is logged and never undoes a match.
 */
export type MatchmakingEvent = 'match.found' | 'match.server' | 'match.failed' | 'match.finished';

export interface Notifier {
  notify(userId: string, event: MatchmakingEvent, data: unknown): Promise<void> | void;
}

export const silentNotifier: Notifier = { notify: () => undefined };
