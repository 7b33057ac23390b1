/**
 * The matchmaking app (issue 17, seed 002): rating-based queues per game mode and region, paired
 * atomically in Redis so no player is ever in two matches, ELO ratings updated from results, and a
 * game-server pool with packed allocation. Install it with `createPlexus({ apps: [matchmakingApp] })`
 * (or `createMatchmakingApp({ notifier })` to tell players of their match); its API is then
 * `plexus.apps.matchmaking`. docs/matchmaking.md has the protocol and the guarantees.
 */
export { createMatchmakingApp, type MatchmakingAppOptions, matchmakingApp } from './app.js';
export { type MatchmakingConfig, type ModeSpec, matchmakingOptions } from './config.js';
export type { MatchPlayer, MatchRecord, MatchState, RatingChange } from './db/matches.js';
export { eloDeltas } from './elo.js';
export { MATCHMAKING_ERROR_STATUSES, MatchmakingError, type MatchmakingErrorCode } from './errors.js';
export { type MatchmakingEvent, type Notifier, silentNotifier } from './notifier.js';
export type { PairParams, ProposedMatch, QueuedPlayer, Ticket } from './pairing.js';
export { MATCHMAKING_ENDPOINT, MATCHMAKING_ENDPOINT_OPTIONS, realtimeNotifier } from './realtime.js';
export { matchmakingRoutes } from './routes.js';
export { type JoinInput, Matchmaking, type MatchView, type QueueStats, type QueueStatus } from './service.js';
