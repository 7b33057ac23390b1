/**
 * Plexus: shared state for a Node.js service that runs as many instances.
 *
 * `createPlexus(config)` builds every module over one Redis connection layer and returns them
 * together; `start()` connects, `close()` releases everything in reverse order.
 */
import { type ConfigOverrides, loadConfig, type PlexusConfig } from './config/index.js';
import { type Logger, silentLogger } from './logger.js';
import { RedisLayer } from './redis/layer.js';

export interface PlexusOptions {
  /** Configuration overrides; the rest comes from the environment and defaults. */
  config?: ConfigOverrides;
  /** Environment to read settings from (default: process.env). */
  env?: Record<string, string | undefined>;
  logger?: Logger;
}

export interface Plexus {
  readonly config: PlexusConfig;
  readonly logger: Logger;
  readonly redis: RedisLayer;
  start(): Promise<void>;
  close(): Promise<void>;
}

export function createPlexus(options: PlexusOptions = {}): Plexus {
  const config = loadConfig(options.env ?? process.env, options.config);
  const logger = options.logger ?? silentLogger;
  const redis = new RedisLayer(config.redis, { logger });
  return {
    config,
    logger,
    redis,
    async start() {
      await redis.connect();
    },
    async close() {
      await redis.close();
    },
  };
}

export type { ConfigOverrides, PlexusConfig } from './config/index.js';
export { loadConfig } from './config/index.js';
export * from './errors.js';
export type { Logger } from './logger.js';
export { Keys } from './redis/keys.js';
export type { LayerState, RedisHealth, StateChange } from './redis/layer.js';
export { RedisLayer } from './redis/layer.js';
export { MemoryStore } from './redis/memory/memory-store.js';
export type { Script, ScriptReply } from './redis/script.js';
export { defineScript } from './redis/script.js';
export type * from './redis/store.js';
