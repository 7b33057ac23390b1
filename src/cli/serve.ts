/**
 * Runs the reference server in this process (alone, or as one cluster worker) until SIGTERM or
 * SIGINT, then shuts down gracefully and exits 0 (1 when something had to be cut short). A signal
 * that arrives while starting stops the process as soon as startup settles, without listening. A
 * second signal exits a single process at once. A worker whose primary disappears shuts down too.
 */
import cluster from 'node:cluster';
import type { Logger } from 'pino';
import type { AnyAppDefinition } from '../application/definition.js';
import { HANDOFF_URL_ENV } from '../config/env-check.js';
import type { ConfigOverrides, PlexusConfig } from '../config/index.js';
import { ConfigError } from '../errors.js';
import { createPlexus, type Plexus } from '../index.js';
import { createServer } from '../server/index.js';
import { describeBackends } from './describe.js';
import { EXIT_CONFIG, EXIT_FAILURE, EXIT_OK } from './exit-codes.js';

export async function serve(
  overrides: ConfigOverrides,
  config: PlexusConfig,
  logger: Logger,
  apps: readonly AnyAppDefinition[],
): Promise<number> {
  let plexus: Plexus;
  let server: ReturnType<typeof createServer>;
  try {
    plexus = createPlexus({ config: overrides, logger, apps });
    server = createServer(plexus, { logger });
  } catch (error) {
    logger.fatal({ err: error }, messageOf(error));
    return EXIT_CONFIG;
  }

  let ready = false;
  let signalled: string | undefined;
  let finish: (code: number) => void = () => {};
  const stopped = new Promise<number>((resolve) => {
    finish = resolve;
  });
  const beginStop = (why: string) => {
    logger.info({ why }, 'shutting down');
    void server.stop().then((clean) => finish(clean ? EXIT_OK : EXIT_FAILURE));
  };
  const onSignal = (why: string) => {
    if (signalled === undefined) {
      signalled = why;
      // A signal during startup is acted on once startup has settled (it is bounded by the
      // connection timeouts): stopping half-started modules would race their start.
      if (ready) beginStop(why);
      return;
    }
    // A worker often gets the signal twice (from the primary and from a process-group kill such
    // as Ctrl+C or systemd); its primary enforces the deadline, so it keeps draining.
    if (cluster.isWorker) return;
    logger.warn({ why }, 'second signal: exiting without waiting');
    finish(EXIT_FAILURE);
  };
  // A crash is logged as one JSON line like everything else; the supervisor restarts the process.
  const crash = (error: unknown, kind: string) => {
    logger.fatal({ err: error }, kind);
    process.exit(EXIT_FAILURE);
  };
  process.on('uncaughtException', (error) => crash(error, 'uncaught exception'));
  process.on('unhandledRejection', (reason) => crash(reason, 'unhandled promise rejection'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  if (cluster.isWorker) process.on('disconnect', () => onSignal('primary went away'));

  try {
    await plexus.start();
    if (signalled === undefined) {
      // A worker of `plexus start --workers` gets its connections from the primary (distributor.ts).
      const handoffUrl = cluster.isWorker ? process.env[HANDOFF_URL_ENV] : undefined;
      if (handoffUrl !== undefined) await server.acceptHanded();
      const url = handoffUrl ?? (await server.listen());
      const names = apps.map((app) => app.name).join(', ') || 'none';
      logger.info(
        `Plexus ready on ${url}; ${describeBackends(config, plexus.db.describe())}; apps: ${names}`,
      );
    }
  } catch (error) {
    const bindFailed = hasErrno(error, 'EADDRINUSE') || hasErrno(error, 'EACCES');
    logger.fatal({ err: error }, `cannot start: ${messageOf(error)}`);
    await server.stop();
    return bindFailed || error instanceof ConfigError ? EXIT_CONFIG : EXIT_FAILURE;
  }
  ready = true;
  if (signalled !== undefined) {
    beginStop(signalled);
  } else {
    // PM2 (wait_ready) and the cluster primary both wait for this message.
    process.send?.('ready');
  }
  return stopped;
}

function hasErrno(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as NodeJS.ErrnoException).code === code;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
