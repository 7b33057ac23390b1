/** The process logger: pino, JSON lines on stdout, tagged with the worker id in cluster mode. */
import pino, { type Logger } from 'pino';
import type { LogLevel } from '../config/server.js';
import { workerId } from '../server/process-info.js';

export function createLogger(level: LogLevel): Logger {
  const worker = workerId();
  const base = worker === undefined ? { pid: process.pid } : { pid: process.pid, worker };
  return pino({ level, base, timestamp: pino.stdTimeFunctions.isoTime });
}
