/** The process logger: pino, JSON lines on stdout, tagged with the worker id in cluster mode. */
import cluster from 'node:cluster';
import pino, { type Logger } from 'pino';
import type { LogLevel } from '../config/server.js';

export function createLogger(level: LogLevel): Logger {
  const base: Record<string, unknown> = { pid: process.pid };
  if (cluster.isWorker && cluster.worker !== undefined) base.worker = cluster.worker.id;
  return pino({ level, base, timestamp: pino.stdTimeFunctions.isoTime });
}
