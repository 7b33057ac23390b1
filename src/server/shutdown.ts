/**
 * Graceful, bounded shutdown of a serving process, in this order:
 * 1. mark the instance draining (health answers 503) and stop accepting connections;
 * 2. Fastify `preClose` hooks run: WebSocket hubs close their sockets there;
 * 3. in-flight requests finish; keep-alive connections are closed as soon as they are idle, and
 *    whatever is still open when `timeoutMs` has passed is cut;
 * 4. `plexus.close()`: modules deregister this instance and stop, then Redis and the database close.
 * Every step is bounded, so shutdown never hangs; the result says whether it finished cleanly.
 */
import type { FastifyInstance } from 'fastify';
import type { Plexus } from '../index.js';
import type { Logger } from '../logger.js';
import type { MutableLifecycle } from './app.js';

/** Time left for `plexus.close()` after the HTTP side is done, and for hooks after the deadline. */
const CLOSE_MODULES_MS = 5000;
const IDLE_SWEEP_MS = 50;

export interface ShutdownTarget {
  app: FastifyInstance;
  lifecycle: MutableLifecycle;
  plexus: Plexus;
  logger: Logger;
  /**
   * For a server that does not listen (it serves connections handed over by a cluster primary):
   * resolves once its connections have closed, which `app.close()` does not wait for then.
   */
  connectionsClosed?: () => Promise<void>;
}

export async function shutdown(target: ShutdownTarget, timeoutMs: number): Promise<boolean> {
  const { app, lifecycle, plexus, logger } = target;
  lifecycle.draining = true;
  let clean = true;
  const cut = setTimeout(() => {
    clean = false;
    logger.warn({ timeoutMs }, 'requests still running at the shutdown deadline; closing their connections');
    app.server.closeAllConnections();
  }, timeoutMs);
  // A keep-alive connection whose last request finishes during the drain would otherwise stay
  // open until the client closes it; closing idle ones as they appear lets the drain end at once.
  const sweep = setInterval(() => app.server.closeIdleConnections(), IDLE_SWEEP_MS);
  // Bounded too: a plugin's preClose/onClose hook that never settles must not hang the process.
  const closeHttp = async () => {
    await app.close();
    await target.connectionsClosed?.();
  };
  const httpClosed = await bounded(closeHttp(), timeoutMs + CLOSE_MODULES_MS);
  clearTimeout(cut);
  clearInterval(sweep);
  if (httpClosed !== true) {
    clean = false;
    logger.error({ err: httpClosed }, 'the HTTP server did not close cleanly');
  }
  const closed = await bounded(plexus.close(), CLOSE_MODULES_MS);
  if (closed !== true) {
    clean = false;
    logger.error({ err: closed }, 'modules did not close cleanly');
  }
  return clean;
}

async function bounded(promise: Promise<void>, ms: number): Promise<true | unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Error>((resolve) => {
    timer = setTimeout(() => resolve(new Error(`still closing after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise.then((): true => true), timeout]);
  } catch (error) {
    return error;
  } finally {
    clearTimeout(timer);
  }
}
