/** node-redis options shared by every topology, derived from the Plexus config. */
import type { RedisClientOptions } from 'redis';
import type { RedisConfig } from '../../config/redis.js';
import { afterPendingIo } from '../deadlines.js';

export function backoff(maxDelayMs: number): (retries: number) => number {
  // 50, 100, 200 ... ms up to the cap, with jitter so that instances do not reconnect in lockstep.
  return (retries) =>
    Math.round(Math.min(maxDelayMs, 50 * 2 ** Math.min(retries, 10)) * (0.8 + Math.random() * 0.4));
}

/**
 * Per-connection options. The offline queue is disabled so that a call made while disconnected
 * fails at once instead of waiting for a reconnection; node-redis's own per-command timeout is
 * disabled (`timeout: 0`) because the executor applies one, much more cheaply.
 */
export function nodeClientOptions(config: RedisConfig, tls = config.tls): RedisClientOptions {
  const socket = {
    connectTimeout: config.connectTimeoutMs,
    reconnectStrategy: backoff(config.reconnectMaxDelayMs),
    keepAlive: true,
  };
  return {
    ...(config.username === undefined ? {} : { username: config.username }),
    ...(config.password === undefined ? {} : { password: config.password }),
    disableOfflineQueue: true,
    commandOptions: { timeout: 0 },
    socket: tls ? { ...socket, tls: true } : socket,
  };
}

export function errorMessage(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return errorMessage(error.errors[0]);
  // Socket errors can come with an empty message; their code (ECONNREFUSED, ...) still says why.
  const code = (error as { code?: unknown } | null)?.code;
  const text = error instanceof Error ? error.message : String(error);
  return (
    text || (typeof code === 'string' ? code : '') || (error instanceof Error ? error.name : 'unknown error')
  );
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    // Decided after the poll phase: an answer already received but not yet read (this process was
    // busy) wins over the timer (src/redis/deadlines.ts, afterPendingIo).
    timer = setTimeout(() => afterPendingIo(() => reject(new Error(`${what} timed out after ${ms} ms`))), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
