/**
 * Plexus: shared state for a Node.js service that runs as many instances.
 *
 * `createPlexus({ config, apps })` builds every module over one Redis connection layer, installs
 * the applications given (src/application/), and returns them together; `start()` connects and
 * starts the applications, `close()` releases everything in reverse order.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Auth } from './accounts/auth.js';
import type { AnyAppDefinition, AppsOf, PlexusCore } from './application/definition.js';
import {
  appEnvNames,
  appSectionNames,
  checkAppNames,
  type InstalledApp,
  installApps,
  migrationsFor,
} from './application/install.js';
import { Bus } from './bus/bus.js';
import { createCache } from './cache/index.js';
import { checkEnvironment } from './config/env-check.js';
import { type ConfigOverrides, loadConfig } from './config/index.js';
import { Database } from './db/database.js';
import { Flags } from './flags/flags.js';
import { InstanceRegistry } from './instances/registry.js';
import { Jobs } from './jobs/jobs.js';
import { type Logger, silentLogger } from './logger.js';
import { Metrics } from './metrics/index.js';
import { PlexusRealtime } from './realtime/index.js';
import { RedisLayer } from './redis/layer.js';
import { RuntimeSettings } from './settings/runtime.js';
import { Settings } from './settings/settings.js';

export interface PlexusOptions<Apps extends readonly AnyAppDefinition[] = readonly AnyAppDefinition[]> {
  /** Configuration overrides, by section (an installed application's section by its name). */
  config?: ConfigOverrides;
  /** Environment to read settings from (default: process.env). */
  env?: Record<string, string | undefined>;
  /**
   * Variables the application reads itself: not reported as unknown by the startup check of
   * REDIS_*, CACHE_*, SESSION_* and PLEXUS_* names (src/config/env-check.ts).
   */
  knownEnv?: readonly string[];
  logger?: Logger;
  /** Identifies this process in the deployment (default: `<hostname>-<pid>-<random>`). */
  instanceId?: string;
  /** Applications to install (src/application/), in order; default none. */
  apps?: Apps;
}

export interface Plexus<Apps = Record<string, unknown>> extends PlexusCore {
  /** Each installed application's API, by name: `plexus.apps.qr`. */
  readonly apps: Apps;
  /** The installed applications with their running parts, in order (routes, health, CLI). */
  readonly installed: readonly InstalledApp[];
  start(): Promise<void>;
  close(): Promise<void>;
}

/** A Plexus with these applications installed: `PlexusWith<[typeof qrApp]>`. */
export type PlexusWith<Defs extends readonly AnyAppDefinition[]> = Plexus<AppsOf<Defs>>;

export function createPlexus<const Apps extends readonly AnyAppDefinition[] = []>(
  options: PlexusOptions<Apps> = {},
): Plexus<AppsOf<Apps>> {
  const definitions: readonly AnyAppDefinition[] = options.apps ?? [];
  checkAppNames(definitions);
  const env = options.env ?? process.env;
  const overrides = options.config ?? {};
  const config = loadConfig(env, overrides, appSectionNames(definitions));
  const logger = options.logger ?? silentLogger;
  const known = [...(options.knownEnv ?? []), ...appEnvNames(definitions)];
  for (const { variable, message, suggestion } of checkEnvironment(env, known)) {
    logger.warn({ variable, suggestion }, message);
  }
  const redis = new RedisLayer(config.redis, { logger });
  const db = new Database(config.db, { logger, migrations: migrationsFor(definitions) });
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
  const realtime = new PlexusRealtime(redis, {
    config,
    instanceId,
    clustered: () => redis.mode === 'cluster',
    db,
    bus,
    auth,
    logger,
  });
  instances.provideWebSocket(() => realtime.websocketFigures());
  const settings = new Settings({ db, cache, bus, config: config.settings, logger });
  const flags = new Flags(settings, db);
  // Login limits that an admin may change while running (collection `plexus`, src/settings/runtime.ts).
  const runtime = new RuntimeSettings(settings, config, logger);
  auth.limiter.limitsFrom(async () => ({
    perAccount: await runtime.number('login.perAccount'),
    perAddress: await runtime.number('login.perAddress'),
    windowMs: (await runtime.number('login.windowSeconds')) * 1000,
  }));
  const core: PlexusCore = {
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
    realtime,
    settings,
    flags,
  };
  const installed = installApps(definitions, core, env, overrides);
  const apps: Record<string, unknown> = {};
  for (const { definition, instance } of installed) {
    // A getter, so that an application that builds its service on first use still can.
    Object.defineProperty(apps, definition.name, { enumerable: true, get: () => instance.api });
  }
  return {
    ...core,
    apps: apps as AppsOf<Apps>,
    installed,
    async start() {
      await Promise.all([redis.connect(), db.open()]);
      await cache.start();
      await auth.start();
      await settings.start();
      instances.start();
      jobs.start();
      await realtime.start();
      for (const { instance } of installed) await instance.start?.();
    },
    async close() {
      // Applications, then modules (they may still write), then the connections, even if one failed.
      try {
        for (const { instance } of [...installed].reverse()) await instance.close?.();
      } finally {
        try {
          await realtime.close();
          await jobs.stop();
          await instances.stop();
          await settings.close();
          await bus.close();
          await auth.close();
          await cache.close();
        } finally {
          await redis.close();
          await db.close();
        }
      }
    },
  };
}

export * from './accounts/index.js';
export * from './application/index.js';
export * from './bus/index.js';
export * from './cache/index.js';
export type { ConfigOverrides, PlexusConfig } from './config/index.js';
export { loadConfig } from './config/index.js';
export type { DashboardPanel, PanelAction, PanelView } from './dashboard/panels.js';
export { addDashboardPanel } from './dashboard/panels.js';
export * from './db/index.js';
export * from './errors.js';
export * from './flags/index.js';
export * from './instances/index.js';
export * from './jobs/index.js';
export type { Logger } from './logger.js';
export * from './metrics/index.js';
export * from './realtime/index.js';
export { Keys } from './redis/keys.js';
export type { LayerState, RedisHealth, StateChange } from './redis/layer.js';
export { RedisLayer } from './redis/layer.js';
export { MemoryStore } from './redis/memory/memory-store.js';
export type { Script, ScriptReply } from './redis/script.js';
export { defineScript } from './redis/script.js';
export type * from './redis/store.js';
export type { LayerView } from './redis/view.js';
export * from './sessions/index.js';
export * from './settings/index.js';
