/**
 * A cluster worker's side of the primary's connection hand-over (src/cli/distributor.ts): the
 * worker does not listen; the primary accepts each connection and sends it over the IPC channel,
 * and the worker's HTTP server takes it as if it had accepted it itself.
 *
 * The server is never `listening`, so two things Node and Fastify do for a listening server are
 * done here instead:
 * - Node tracks connections (header and request timeouts, `closeIdleConnections`) from the
 *   server's 'listening' event: it is emitted once, before the first connection arrives.
 * - `server.close()` would wait for open connections; Fastify does not call it on a server that
 *   is not listening, so `closed()` waits for them instead, for the graceful shutdown's drain.
 */
import cluster from 'node:cluster';
import type { Server } from 'node:http';
import { Socket } from 'node:net';

/** The IPC message that carries a connection from the primary to a worker. */
export const HANDOFF_MESSAGE = { plexus: 'connection' } as const;
/** A worker's answer once it took a connection: it is free for the next one. */
export const TAKEN_MESSAGE = { plexus: 'taken' } as const;

export interface HandedConnections {
  /**
   * Resolves once every connection handed to this worker has closed; connections the primary sent
   * before it stopped sending are still served (during a drain, Fastify answers them 503). Then
   * stops taking connections.
   */
  closed(): Promise<void>;
}

export function isHandoffMessage(message: unknown): boolean {
  return plexusMessage(message) === HANDOFF_MESSAGE.plexus;
}

export function isTakenMessage(message: unknown): boolean {
  return plexusMessage(message) === TAKEN_MESSAGE.plexus;
}

function plexusMessage(message: unknown): unknown {
  return typeof message === 'object' && message !== null
    ? (message as { plexus?: unknown }).plexus
    : undefined;
}

/** Serves on `server` every connection the primary hands to this process from now on. */
export function acceptHandedConnections(server: Server): HandedConnections {
  const open = new Set<Socket>();
  let drained: (() => void) | undefined;
  // Only a cluster primary waits for the answer (a test may hand connections within one process).
  const acknowledge = cluster.isWorker ? () => process.send?.(TAKEN_MESSAGE) : () => {};
  const take = (message: unknown, handle: unknown) => {
    if (!isHandoffMessage(message)) return;
    acknowledge();
    if (!(handle instanceof Socket)) return;
    open.add(handle);
    handle.once('close', () => {
      open.delete(handle);
      if (open.size === 0) drained?.();
    });
    server.emit('connection', handle);
  };
  server.emit('listening');
  process.on('message', take);
  return {
    async closed() {
      if (open.size > 0) {
        await new Promise<void>((resolve) => {
          drained = resolve;
        });
      }
      process.off('message', take);
    },
  };
}
