/**
 * Plexus: shared state for a Node.js service that runs as many instances.
 *
 * `createPlexus(config)` builds every module over one Redis connection layer and returns them
 * together; `start()` connects, `close()` releases everything in reverse order.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Auth } from './accounts/auth.js';
import { qrWarmTargets } from './apps/qr/index.js';
import { QRService } from './apps/qr/service.js';
import { Bus } from './bus/bus.js';
import { type Cache, createCache } from './cache/index.js';
import { type ConfigOverrides, loadConfig, type PlexusConfig } from './config/index.js';
import { Database } from './db/database.js';
import { InstanceRegistry } from './instances/registry.js';
import { Jobs } from './jobs/jobs.js';
import { type Logger, silentLogger } from './logger.js';
import { Metrics } from './metrics/index.js';
import { RedisLayer } from './redis/layer.js';
import type { Sessions } from './sessions/sessions.js';

export interface PlexusOptions {
  /** Configuration overrides; the rest comes from the environment and defaults. */
  config?: ConfigOverrides;
  /** Environment to read settings from (default: process.env). */
  env?: Record<string, string | undefined>;
  logger?: Logger;
  /** Identifies this process in the deployment (default: `<hostname>-<pid>-<random>`). */
  instanceId?: string;
}

export interface Plexus {
  readonly config: PlexusConfig;
  readonly logger: Logger;
  readonly redis: RedisLayer;
  /** Unique per process and per start: `<hostname>-<pid>-<random>`. */
  readonly instanceId: string;
  readonly db: Database;
  /** The shared cache: L1 in process over Redis, invalidated on every instance (src/cache/). */
  readonly cache: Cache;
  /** Accounts, login and the session cookie (src/accounts/). */
  readonly auth: Auth;
  /** Shared sessions: Redis, or this process while Redis is down (src/sessions/). */
  readonly sessions: Sessions;
  /** Broadcast to every instance: `publish('app:area:event', data)`, `subscribe(...)` (src/bus/). */
  readonly bus: Bus;
  /** Scheduled jobs that run once per tick across the cluster (src/jobs/). */
  readonly jobs: Jobs;
  /** This instance's report and the cluster's instances; the /api/1/metrics document (src/instances/). */
  readonly instances: InstanceRegistry;
  /** Request counts, recent errors and custom counters summed across the cluster (src/metrics/). */
  readonly metrics: Metrics;
  /** QR codes for students and stalls: signed tokens, cached images, warming, verification (src/apps/qr/). Built on first use. */
  readonly qr: QRService;
  start(): Promise<void>;
  close(): Promise<void>;
}

export function createPlexus(options: PlexusOptions = {}): Plexus {
  const config = loadConfig(options.env ?? process.env, options.config);
  const logger = options.logger ?? silentLogger;
  const redis = new RedisLayer(config.redis, { logger });
  const db = new Database(config.db, { logger });
  const instanceId = options.instanceId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const cache = createCache({ redis, config: config.cache, logger, instanceId });
  const auth = new Auth(config, redis, db, logger, instanceId);
  const bus = new Bus(redis, { instanceId, maxPayloadBytes: config.bus.maxPayloadBytes, logger });
  const jobs = new Jobs(redis, { instanceId, ...config.jobs, logger });
  const serverName = config.instances.serverName ?? hostname();
  const metrics = new Metrics(redis, { ...config.instances, instanceId, serverName, logger });
  const instances = new InstanceRegistry(redis, {
    instanceId,
    serverName,
    version: config.instances.version ?? process.env.npm_package_version ?? 'unknown',
    reportIntervalMs: config.instances.reportIntervalMs,
    ttlMs: config.instances.ttlMs,
    metrics,
    logger,
  });
  instances.provideBus(() => bus.stats());
  let qr: QRService | undefined;
  const getQr = () => {
    qr ??= new QRService({
      config: config.qr,
      production: config.server.environment === 'production',
      db,
      cache,
      redis,
      logger,
    });
    return qr;
  };
  for (const target of qrWarmTargets(config.qr, getQr)) cache.warmTargets.register(target);
  return {
    config,
    logger,
    redis,
    instanceId,
    db,
    cache,
    auth,
    sessions: auth.sessions,
    bus,
    jobs,
    instances,
    metrics,
    get qr() {
      return getQr();
    },
    async start() {
      await Promise.all([redis.connect(), db.open()]);
      await cache.start();
      await auth.start();
      instances.start();
      jobs.start();
    },
    async close() {
      // Modules first (they may still write), then the connections, even if a module failed.
      try {
        await jobs.stop();
        await instances.stop();
        await bus.close();
        await auth.close();
        await qr?.close();
        await cache.close();
      } finally {
        await redis.close();
        await db.close();
      }
    },
  };
}

export * from './accounts/index.js';
export * from './apps/qr/index.js';
export * from './bus/index.js';
export * from './cache/index.js';
export type { ConfigOverrides, PlexusConfig } from './config/index.js';
export { loadConfig } from './config/index.js';
export * from './db/index.js';
export * from './errors.js';
export * from './instances/index.js';
export * from './jobs/index.js';
export type { Logger } from './logger.js';
export * from './metrics/index.js';
export { Keys } from './redis/keys.js';
export type { LayerState, RedisHealth, StateChange } from './redis/layer.js';
export { RedisLayer } from './redis/layer.js';
export { MemoryStore } from './redis/memory/memory-store.js';
export type { Script, ScriptReply } from './redis/script.js';
export { defineScript } from './redis/script.js';
export type * from './redis/store.js';
export type { LayerView } from './redis/view.js';
export * from './sessions/index.js';
