/**
 * The reference server: `createServer(plexus)` builds the Fastify application over a Plexus
 * instance; `listen()` starts serving (or `acceptHanded()` in a worker of `plexus start
 * --workers`); `stop()` shuts down gracefully (see shutdown.ts), closing the Plexus instance too.
 */
import type { FastifyInstance } from 'fastify';
import type { Plexus } from '../index.js';
import { type AppOptions, buildApp } from './app.js';
import type { FastLane } from './fast-lane.js';
import { acceptHandedConnections, type HandedConnections } from './handed-connections.js';
import { listeningUrl } from './listening-url.js';
import { shutdown } from './shutdown.js';

export interface PlexusServer {
  readonly app: FastifyInstance;
  /**
   * The fast lane of the hot routes (src/server/fast-lane.ts); undefined when PLEXUS_FAST_LANE is
   * off or PLEXUS_LOG_REQUESTS is on.
   */
  readonly fastLane: FastLane | undefined;
  /** Listens on HOST:PORT from the configuration; resolves to the URL actually bound. */
  listen(): Promise<string>;
  /**
   * Serves the connections a cluster primary hands over (src/cli/distributor.ts) instead of
   * listening itself.
   */
  acceptHanded(): Promise<void>;
  /** Graceful shutdown, bounded by PLEXUS_SHUTDOWN_TIMEOUT_MS; false when something had to be cut. */
  stop(): Promise<boolean>;
}

export function createServer(plexus: Plexus, options: AppOptions = {}): PlexusServer {
  const { app, lifecycle, fastLane } = buildApp(plexus, options);
  let stopping: Promise<boolean> | undefined;
  let handed: HandedConnections | undefined;
  return {
    app,
    fastLane,
    async listen() {
      const { host, port } = plexus.config.server;
      await app.listen({ host, port });
      return listeningUrl(app.server, host, port);
    },
    async acceptHanded() {
      await app.ready();
      handed ??= acceptHandedConnections(app.server);
    },
    stop() {
      const connectionsClosed = handed?.closed;
      stopping ??= shutdown(
        {
          app,
          lifecycle,
          plexus,
          logger: plexus.logger,
          ...(connectionsClosed === undefined ? {} : { connectionsClosed }),
        },
        plexus.config.server.shutdownTimeoutMs,
      );
      return stopping;
    },
  };
}

export { type AppOptions, buildApp } from './app.js';
export * from './auth.js';
export * from './context.js';
export * from './fast-lane.js';
export { type ErrorHandler, errorHandlerFor, resolveError, STATUS_BY_CODE } from './http-errors.js';
export { type PlexusFastifyOptions, plexusFastify } from './plugin.js';
export { type ProcessInfo, processInfo } from './process-info.js';
export { CORE_ROUTE_GROUPS, type CoreRouteGroup, coreRoutes } from './routes/index.js';
