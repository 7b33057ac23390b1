/**
 * Installs applications over the core modules: checks their names, loads each one's settings
 * section, builds its running parts, and registers its warm targets and jobs. `createPlexus` uses
 * it; the order of the list is the order of start, of migrations and of routes (close is reversed).
 */
import { SECTIONS } from '../config/index.js';
import { loadSection } from '../config/option.js';
import type { Migration } from '../db/migration.js';
import { migrations as coreMigrations } from '../db/migrations/index.js';
import { ConfigError } from '../errors.js';
import type { AnyAppDefinition, AppHealth, AppInstance, PlexusCore } from './definition.js';

const NAME = /^[a-z][a-z0-9-]{0,31}$/;

export interface InstalledApp {
  readonly definition: AnyAppDefinition;
  readonly instance: AppInstance<unknown>;
}

/** Refuses duplicate, malformed or reserved names before anything is built. */
export function checkAppNames(definitions: readonly AnyAppDefinition[]): void {
  const seen = new Set<string>();
  for (const { name } of definitions) {
    if (!NAME.test(name)) {
      throw new ConfigError('apps', `application name ${JSON.stringify(name)} must match ${NAME}`);
    }
    if (name in SECTIONS)
      throw new ConfigError('apps', `"${name}" is a core settings section, not an app name`);
    if (seen.has(name)) throw new ConfigError('apps', `application "${name}" is listed twice`);
    seen.add(name);
  }
}

/** The names of the settings sections the applications add, for `loadConfig`'s unknown-section check. */
export function appSectionNames(definitions: readonly AnyAppDefinition[]): string[] {
  return definitions.map((d) => d.name);
}

/** The environment variables the applications' settings read (known to the startup check). */
export function appEnvNames(definitions: readonly AnyAppDefinition[]): string[] {
  return definitions.flatMap((d) =>
    Object.values(d.options ?? {}).flatMap((o) => (o.env === undefined ? [] : [o.env])),
  );
}

/** The core's migrations, then each application's, in the order the applications are listed. */
export function migrationsFor(definitions: readonly Pick<AnyAppDefinition, 'migrations'>[]): Migration[] {
  return [...coreMigrations, ...definitions.flatMap((d) => d.migrations ?? [])];
}

/** Builds every application; a failure names the application and builds nothing further. */
export function installApps(
  definitions: readonly AnyAppDefinition[],
  core: PlexusCore,
  env: Record<string, string | undefined>,
  overrides: Readonly<Record<string, object | undefined>>,
): InstalledApp[] {
  const apis: Record<string, unknown> = {};
  return definitions.map((definition) => {
    const config = loadSection(
      definition.name,
      definition.options ?? {},
      env,
      overrides[definition.name] as Record<string, unknown> | undefined,
    );
    const instance = definition.create({
      name: definition.name,
      config,
      plexus: core,
      keys: core.redis.keys.app(definition.name),
      production: core.config.server.environment === 'production',
      apps: apis,
    });
    Object.defineProperty(apis, definition.name, { enumerable: true, get: () => instance.api });
    for (const target of instance.warmTargets ?? []) core.cache.warmTargets.register(target);
    for (const job of instance.jobs ?? []) {
      if ('every' in job) core.jobs.every(job.name, job.every, job.run, job.options);
      else core.jobs.cron(job.name, job.cron, job.run, job.options);
    }
    return { definition, instance };
  });
}

/** The HTTP status of every error code the installed applications let reach clients. */
export function appErrorStatuses(apps: readonly InstalledApp[]): Record<string, number> {
  return Object.assign({}, ...apps.map((app) => app.definition.errors ?? {}));
}

/** Each application's health check, by name; a check that throws reports `fail`. */
export async function appHealth(apps: readonly InstalledApp[]): Promise<Record<string, AppHealth>> {
  const checks = apps.filter((app) => app.instance.health !== undefined);
  const results = await Promise.all(
    checks.map(({ instance }) =>
      instance.health!().catch(
        (error: unknown): AppHealth => ({
          status: 'fail',
          error: error instanceof Error ? error.message : String(error),
        }),
      ),
    ),
  );
  return Object.fromEntries(checks.map((app, i) => [app.definition.name, results[i]!]));
}
