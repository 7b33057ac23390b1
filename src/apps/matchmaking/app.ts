/**
 * The matchmaking app's definition: settings `matchmaking` (MATCHMAKING_*), its tables, the
 * routes (routes.ts), a pairing job per mode and region and a pool job per region, and a health
 * check. Players are told of their match over the realtime endpoint `matchmaking` (realtime.ts),
 * defined here in code; `createMatchmakingApp({ notifier })` replaces that (a webhook, a test's
 * recorder). `status` polling is the fallback either way.
 */
import { defineApp } from '../../application/definition.js';
import { addDashboardPanel } from '../../dashboard/panels.js';
import { matchmakingOptions } from './config.js';
import { matchmakingDashboardPanel } from './dashboard-panel.js';
import { MATCHMAKING_ERROR_STATUSES } from './errors.js';
import { matchmakingMigrations } from './migrations/index.js';
import type { Notifier } from './notifier.js';
import { realtimeNotifier } from './realtime.js';
import { matchmakingRoutes } from './routes.js';
import { Matchmaking } from './service.js';

export interface MatchmakingAppOptions {
  /** How players learn of their match (default: the realtime endpoint `matchmaking`, realtime.ts). */
  notifier?: Notifier;
}

export function createMatchmakingApp(options: MatchmakingAppOptions = {}) {
  return defineApp({
    name: 'matchmaking',
    description: 'rating-based matchmaking queues that never match a player twice, and a game-server pool',
    options: matchmakingOptions,
    migrations: matchmakingMigrations,
    errors: MATCHMAKING_ERROR_STATUSES,
    create({ config, plexus, keys }) {
      // The endpoint exists whatever the notifier, so the demo page can always connect.
      const overHub = realtimeNotifier(plexus.realtime);
      const mm = new Matchmaking({
        config,
        db: plexus.db,
        redis: plexus.redis,
        keys,
        notifier: options.notifier ?? overHub,
        logger: plexus.logger,
        jobs: plexus.jobs,
      });
      addDashboardPanel(plexus, matchmakingDashboardPanel(mm));
      return {
        api: mm,
        jobs: mm.jobs(),
        start: async () => mm.start(),
        close: async () => mm.close(),
        async health() {
          // The tables are readable: every route needs them, whatever happens to Redis.
          await mm.repository.ratings(['health-check']);
          return { status: 'ok', error: null };
        },
      };
    },
    routes: matchmakingRoutes,
  });
}

export const matchmakingApp = createMatchmakingApp();
