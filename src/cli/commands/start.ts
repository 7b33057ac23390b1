/**
 * `plexus start`: the reference server. Without --workers it serves from this process; with
 * --workers N|max this process becomes a cluster primary (src/cli/supervisor.ts) and every worker
 * runs this same command, which then serves.
 */
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import type { CliApps } from '../../application/definition.js';
import { selectApps } from '../../application/select.js';
import type { PlexusConfig } from '../../config/index.js';
import { serverOptions, type WorkerCount } from '../../config/server.js';
import { ConfigError } from '../../errors.js';
import { type ConfigFlags, loadCliConfig, withConfigOptions } from '../config.js';
import { describeBackends } from '../describe.js';
import { EXIT_CONFIG } from '../exit-codes.js';
import { createLogger } from '../logger.js';
import { supervise } from '../supervisor.js';
import type { CommandModule } from './types.js';

interface StartFlags extends ConfigFlags {
  host?: string;
  port?: number;
  workers?: WorkerCount;
}

export const startCommand: CommandModule = (program, cli) => {
  const command: Command = program
    .command('start')
    .description('Start the Plexus HTTP server (status, health and module routes under /api/1/).')
    .option('-H, --host <host>', 'interface to listen on (env HOST, default 0.0.0.0)', (v) =>
      serverOptions.host.parse(v, '--host'),
    )
    .option('-p, --port <port>', 'port to listen on, 0 for any free port (env PORT, default 3000)', (v) =>
      serverOptions.port.parse(v, '--port'),
    )
    .option(
      '-w, --workers <n|max>',
      'fork N cluster workers, or one per CPU with "max"; the primary restarts crashed workers and serves nothing itself. More than 1 needs Redis (env PLEXUS_WORKERS)',
      (v) => serverOptions.workers.parse(v, '--workers'),
    );
  withConfigOptions(command).action(async (flags: StartFlags) => {
    process.exitCode = await start(flags, cli);
  });
};

async function start(flags: StartFlags, cli: CliApps): Promise<number> {
  const { overrides, config } = loadCliConfig(
    flags,
    { server: { host: flags.host, port: flags.port, workers: flags.workers } },
    cli,
  );
  const apps = selectApps(cli.catalogue, config.server.apps);
  const logger = createLogger(config.server.logLevel);
  const workers = resolveWorkers(config.server.workers);
  if (cluster.isPrimary && workers !== undefined) {
    refuseUnsharedWorkers(config, workers, '--workers');
    const { host, port } = config.server;
    return supervise({
      workers,
      host,
      port,
      shutdownTimeoutMs: config.server.shutdownTimeoutMs,
      logger,
      readyMessage: (url) =>
        `Plexus listening on ${url} with ${workers} workers (primary ${process.pid}); ${describeBackends(config, describeDatabase(config))}`,
    });
  }
  const pm2Instances = Number(process.env.instances ?? 1);
  if (process.env.exec_mode === 'cluster_mode' && pm2Instances > 1) {
    refuseUnsharedWorkers(config, pm2Instances, 'PM2 instances');
  }
  // Imported here so that a cluster primary, which serves nothing, never loads the server.
  const { serve } = await import('../serve.js');
  return serve(overrides, config, logger, apps).catch((error: unknown) => {
    logger.fatal({ err: error }, 'server failed');
    return EXIT_CONFIG;
  });
}

function resolveWorkers(workers: WorkerCount | undefined): number | undefined {
  return workers === 'max' ? availableParallelism() : workers;
}

function refuseUnsharedWorkers(config: PlexusConfig, workers: number, what: string): void {
  if (config.redis.mode !== 'memory' || workers <= 1) return;
  throw new ConfigError(
    what,
    `${workers} workers need Redis to share sessions, caches, jobs and messages; without it each worker would have its own. Set REDIS_URL (or REDIS_SENTINELS / REDIS_CLUSTER_NODES), or run a single process`,
  );
}

function describeDatabase(config: PlexusConfig): string {
  const db = config.db;
  return db.engine === 'sqlite' ? `SQLite ${db.filename}` : `PostgreSQL (schema ${db.schema})`;
}
