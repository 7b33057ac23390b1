/**
 * The cluster primary of `plexus start --workers N`: listens on HOST:PORT, forks N workers, hands
 * each connection to a free worker (src/cli/distributor.ts, not Node's cluster scheduling), serves
 * no requests itself, and replaces a worker that dies with back-off (0.25 s doubling to 30 s while
 * workers keep dying within 10 s of starting; reset once one lives longer). A worker that exits
 * with EX_CONFIG failed in a way a restart cannot fix, so the primary stops everything and exits
 * with it.
 *
 * On SIGTERM/SIGINT it forwards SIGTERM to every worker, waits for them to finish their own
 * graceful shutdown (PLEXUS_SHUTDOWN_TIMEOUT_MS plus a margin, then SIGKILL), and exits 0 when
 * all of them exited cleanly.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { HANDOFF_URL_ENV } from '../config/env-check.js';
import { ConnectionDistributor } from './distributor.js';
import { EXIT_CONFIG, EXIT_FAILURE, EXIT_OK } from './exit-codes.js';
import { workerExecArgv } from './node-flags.js';

const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 30_000;
/** A worker that lived at least this long resets the back-off. */
const STABLE_AFTER_MS = 10_000;
/** Time workers get beyond their own shutdown timeout before they are killed. */
const KILL_MARGIN_MS = 7_000;

export interface SupervisorOptions {
  workers: number;
  host: string;
  /** 0: any free port. */
  port: number;
  shutdownTimeoutMs: number;
  logger: Logger;
  /** Logged once, when every worker is first ready; given the URL listened on. */
  readyMessage: (url: string) => string;
}

export async function supervise(options: SupervisorOptions): Promise<number> {
  const { logger } = options;
  const distributor = new ConnectionDistributor();
  let url: string;
  try {
    url = await distributor.listen(options.host, options.port);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    logger.fatal({ err: error }, `cannot listen on ${options.host}:${options.port}`);
    return code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL'
      ? EXIT_CONFIG
      : EXIT_FAILURE;
  }
  const startedAt = new Map<Worker, number>();
  const ready = new Set<Worker>();
  let failures = 0;
  let stopping = false;
  let announced = false;
  let exitCode = EXIT_OK;
  let restartTimers: NodeJS.Timeout[] = [];

  const fork = () => {
    const worker = cluster.fork({ [HANDOFF_URL_ENV]: url });
    startedAt.set(worker, Date.now());
  };

  return new Promise<number>((resolve) => {
    const finishIfDone = () => {
      if (stopping && Object.keys(cluster.workers ?? {}).length === 0) resolve(exitCode);
    };

    const stop = (why: string, code: number) => {
      if (stopping) return;
      stopping = true;
      exitCode = code;
      for (const timer of restartTimers) clearTimeout(timer);
      restartTimers = [];
      logger.info({ why }, 'stopping workers');
      distributor.close();
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
      for (const worker of workers) {
        distributor.remove(worker);
        worker.process.kill('SIGTERM');
      }
      setTimeout(() => {
        for (const worker of Object.values(cluster.workers ?? {})) {
          if (worker === undefined) continue;
          logger.error({ workerPid: worker.process.pid }, 'worker did not stop in time: killing it');
          exitCode = EXIT_FAILURE;
          worker.process.kill('SIGKILL');
        }
      }, options.shutdownTimeoutMs + KILL_MARGIN_MS).unref();
      finishIfDone();
    };

    // Sent by the worker once it serves (src/cli/serve.ts).
    cluster.on('message', (worker, message) => {
      if (message !== 'ready' || stopping) return;
      ready.add(worker);
      distributor.add(worker);
      if (!announced && ready.size >= options.workers) {
        announced = true;
        logger.info(options.readyMessage(url));
      }
    });

    cluster.on('exit', (worker, code, signal) => {
      const lived = Date.now() - (startedAt.get(worker) ?? Date.now());
      startedAt.delete(worker);
      ready.delete(worker);
      distributor.exited(worker);
      if (stopping) {
        if (code !== 0 && signal !== 'SIGTERM') exitCode = EXIT_FAILURE;
        finishIfDone();
        return;
      }
      if (code === EXIT_CONFIG) {
        logger.fatal({ workerPid: worker.process.pid }, 'a worker cannot start with this configuration');
        stop('worker startup failed', EXIT_CONFIG);
        return;
      }
      failures = lived >= STABLE_AFTER_MS ? 0 : failures + 1;
      const delay = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.max(0, failures - 1));
      logger.warn(
        { workerPid: worker.process.pid, code, signal, restartInMs: delay },
        'worker died; starting a replacement',
      );
      const timer = setTimeout(() => {
        restartTimers = restartTimers.filter((t) => t !== timer);
        if (!stopping) fork();
      }, delay);
      restartTimers.push(timer);
    });

    process.on('SIGTERM', () => stop('SIGTERM', EXIT_OK));
    process.on('SIGINT', () => stop('SIGINT', EXIT_OK));

    cluster.setupPrimary({ execArgv: workerExecArgv(process.execArgv) });
    for (let i = 0; i < options.workers; i++) fork();
  });
}
