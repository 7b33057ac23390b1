/**
 * What `plexus config` and `plexus flags` run on: the configuration values and flags over the
 * configured database and Redis, without the rest of a server (no instance report, no jobs), so
 * that a change made from the command line reaches the database, Redis and every running
 * instance's memory exactly as one made through the admin API.
 */
import pino from 'pino';
import { Bus } from '../../bus/bus.js';
import { createCache } from '../../cache/index.js';
import { Database } from '../../db/database.js';
import { PlexusError } from '../../errors.js';
import { Flags } from '../../flags/flags.js';
import { RedisLayer } from '../../redis/layer.js';
import { RuntimeSettings } from '../../settings/runtime.js';
import { Settings } from '../../settings/settings.js';
import { type ConfigFlags, loadCliConfig } from '../config.js';
import { EXIT_FAILURE } from '../exit-codes.js';

export interface SettingsSession {
  settings: Settings;
  flags: Flags;
}

/** Who a command-line change is recorded as. */
export function cliActor(): string {
  return `cli:${process.env.USER ?? process.env.LOGNAME ?? 'unknown'}`;
}

/** Runs `action` with the values and flags open; resolves to its exit code (1 on a Plexus error). */
export async function withSettings(
  flags: ConfigFlags,
  action: (session: SettingsSession) => Promise<number>,
): Promise<number> {
  const { config } = loadCliConfig(flags);
  const logger = pino({ level: 'warn', base: { pid: process.pid } }, pino.destination(2));
  const redis = new RedisLayer(config.redis, { logger });
  const db = new Database(config.db, { logger });
  const instanceId = `cli-${process.pid}`;
  const cache = createCache({ redis, config: config.cache, logger, instanceId });
  const bus = new Bus(redis, { instanceId, maxPayloadBytes: config.bus.maxPayloadBytes, logger });
  const settings = new Settings({ db, cache, bus, config: { ...config.settings, warm: [] }, logger });
  // The same checks as a server's: Plexus's runtime settings (collection `plexus`) must be usable.
  new RuntimeSettings(settings, config, logger);
  try {
    await Promise.all([redis.connect(), db.open()]);
    await cache.start();
    return await action({ settings, flags: new Flags(settings, db) });
  } catch (error) {
    if (!(error instanceof PlexusError)) throw error;
    process.stderr.write(`plexus: ${error.message} (${error.code})\n`);
    return EXIT_FAILURE;
  } finally {
    await bus.close().catch(() => {});
    await cache.close().catch(() => {});
    await redis.close().catch(() => {});
    await db.close().catch(() => {});
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
