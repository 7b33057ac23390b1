/**
 * What an application is. An application lives in one folder (`src/apps/<name>/` for the bundled
 * ones, anywhere for a user's) and exports one `AppDefinition`: its settings, migrations, routes
 * and CLI commands (static parts, known before anything starts), and `create()`, which builds its
 * running parts over the core modules. `createPlexus({ apps: [definition] })` installs it; the
 * core never imports an application.
 *
 *   export const todoApp = defineApp({
 *     name: 'todo',
 *     description: 'shared to-do lists',
 *     options: todoOptions,                      // section `todo`, env TODO_*; in docs/configuration.md
 *     migrations: [todo001Lists],               // applied only where the app is installed
 *     routes: todoRoutes,                       // (scope, context, api) under /api/1
 *     create: ({ config, plexus, keys }) => {
 *       const lists = new TodoLists(config, plexus.db, plexus.cache, keys);
 *       return { api: lists, jobs: [{ name: 'todo:purge', every: '1h', run: () => lists.purge() }] };
 *     },
 *   });
 */
import type { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import type { Auth } from '../accounts/auth.js';
import type { Bus } from '../bus/bus.js';
import type { Cache, WarmTarget } from '../cache/index.js';
import type { PlexusConfig } from '../config/index.js';
import type { SectionOf, SectionSpec } from '../config/option.js';
import type { Database } from '../db/database.js';
import type { Migration } from '../db/migration.js';
import type { Flags } from '../flags/flags.js';
import type { InstanceRegistry } from '../instances/registry.js';
import type { CronOptions, Jobs } from '../jobs/jobs.js';
import type { JobFunction } from '../jobs/runner.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/index.js';
import type { PlexusRealtime } from '../realtime/index.js';
import type { Keys } from '../redis/keys.js';
import type { RedisLayer } from '../redis/layer.js';
import type { ServerContext } from '../server/context.js';
import type { Sessions } from '../sessions/sessions.js';
import type { Settings } from '../settings/settings.js';

/** The core modules, as an application sees them (the `Plexus` object without its applications). */
export interface PlexusCore {
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
  /** WebSocket endpoints reaching the right connections on every instance (src/realtime/). */
  readonly realtime: PlexusRealtime;
  /** Configuration values: database, Redis and memory, changed once and seen everywhere (src/settings/). */
  readonly settings: Settings;
  /** Feature flags over the configuration values, with an OpenFeature provider (src/flags/). */
  readonly flags: Flags;
}

/** What `create()` receives. */
export interface AppContext<Config> {
  /** The application's name, as in its definition. */
  readonly name: string;
  /** Its own settings section, loaded like the core's (overrides, environment, defaults). */
  readonly config: Config;
  readonly plexus: PlexusCore;
  /** Its Redis key namespace: `<prefix>:app:<name>:...` (src/redis/keys.ts). */
  readonly keys: Keys;
  /** NODE_ENV is production: applications refuse development-only defaults then. */
  readonly production: boolean;
  /**
   * The APIs of the applications installed before this one, by name (read them lazily: an API may
   * be a getter that builds on first use). An application that builds on another (attendance on
   * qr) finds it here, and is listed after it.
   */
  readonly apps: Readonly<Record<string, unknown>>;
}

/** A job run once per tick across the cluster (src/jobs/), declared by an application. */
export type AppJob =
  | { name: string; every: number | string; run: JobFunction; options?: CronOptions }
  | { name: string; cron: string; run: JobFunction; options?: CronOptions };

/** One check an application adds to `GET /api/1/health`. */
export interface AppHealth {
  status: 'ok' | 'fail';
  /** Why it failed, for the operator; null when ok. */
  error: string | null;
}

/** The running parts of an installed application. */
export interface AppInstance<Api> {
  /** What `plexus.apps.<name>` returns. May be a getter, for applications that build lazily. */
  readonly api: Api;
  /** Registered with `plexus.cache.warmTargets` (`plexus warm-cache <name>`). */
  readonly warmTargets?: readonly WarmTarget[];
  /** Scheduled with `plexus.jobs` when the application is installed. */
  readonly jobs?: readonly AppJob[];
  /** Added to the health route under `checks.apps.<name>`; bounded by the route's timeout. */
  health?(): Promise<AppHealth>;
  /** After the core modules started. */
  start?(): Promise<void>;
  /** Before the core modules close. */
  close?(): Promise<void>;
}

/** Registers one `plexus` subcommand; `apps` are the applications the CLI was given. */
export type AppCommand = (program: Command, cli: CliApps) => void;

/** The applications a CLI command may install (the catalogue, filtered by PLEXUS_APPS when it runs). */
export interface CliApps {
  readonly catalogue: readonly AnyAppDefinition[];
}

export interface AppDefinition<Name extends string, Options extends SectionSpec, Api> {
  /** Lower-case letters, digits and dashes; names the config section, key namespace and route group. */
  readonly name: Name;
  /** One line, for `plexus start --help` and the startup log. */
  readonly description: string;
  /** Settings, declared like the core's sections (src/config/option.ts). */
  readonly options?: Options;
  /** Applied in order, after the core's, only where the application is installed. */
  readonly migrations?: readonly Migration[];
  readonly commands?: readonly AppCommand[];
  /** The HTTP status of each error code the application lets reach clients (src/server/http-errors.ts). */
  readonly errors?: Readonly<Record<string, number>>;
  /** Adds the application's routes to an encapsulated Fastify scope (a schema on every route). */
  routes?(app: FastifyInstance, context: ServerContext, api: Api): void | Promise<void>;
  create(context: AppContext<SectionOf<Options>>): AppInstance<Api>;
}

/** Any definition, where definitions of different applications are listed together. */
export type AnyAppDefinition = AppDefinition<string, SectionSpec, unknown>;

export type ApiOf<D> = D extends AppDefinition<string, SectionSpec, infer Api> ? Api : never;

/** `plexus.apps`: each installed application's API under its name. */
export type AppsOf<Defs extends readonly AnyAppDefinition[]> = {
  readonly [D in Defs[number] as D['name']]: ApiOf<D>;
};

/**
 * Identity with inference: `defineApp({...})` types `create`'s context from `options`, and the API
 * from what `create` returns. When `routes` is written inline, declare it after `create`:
 * TypeScript reads the literal in order, and `routes` needs the API type.
 */
export function defineApp<const Name extends string, Options extends SectionSpec = SectionSpec, Api = void>(
  definition: AppDefinition<Name, Options, Api>,
): AppDefinition<Name, Options, Api> {
  return definition;
}
