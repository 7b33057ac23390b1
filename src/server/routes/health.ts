/**
 * GET /api/1/health (alias /readyz, Kubernetes' readiness probe): can this instance serve? 200
 * with status `ok`, or `degraded` when configured Redis is unreachable and the instance serves from its in-process fallbacks; 503 with status
 * `unavailable` when the database does not answer, when shutting down, or (with
 * PLEXUS_HEALTH_REQUIRES_REDIS) when Redis is unreachable. Every reason is listed; each check
 * reports its latency. Checks are bounded, so the route answers within about a second.
 */
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { FromSchema } from 'json-schema-to-ts';
import { appHealth } from '../../application/install.js';
import type { Plexus } from '../../index.js';
import type { Lifecycle, RoutePlugin } from '../context.js';
import { apiPaths } from '../context.js';
import { errorResponses, noQuery, strictObject } from './schemas.js';

const CHECK_TIMEOUT_MS = 1000;

const checkProperties = {
  status: { type: 'string', enum: ['ok', 'fail'] },
  latencyMs: { type: ['number', 'null'] },
  error: { type: ['string', 'null'] },
} as const;

const healthSchema = strictObject({
  status: { type: 'string', enum: ['ok', 'degraded', 'unavailable'] },
  reasons: { type: 'array', items: { type: 'string' } },
  instanceId: { type: 'string' },
  uptimeSeconds: { type: 'number' },
  checks: strictObject({
    redis: strictObject({ ...checkProperties, topology: { type: 'string' }, state: { type: 'string' } }),
    database: strictObject({ ...checkProperties, engine: { type: 'string' } }),
    /** Configuration values: `fail` while the last database read failed and last known values are served. */
    settings: strictObject({ ...checkProperties, staleServed: { type: 'integer' } }),
    /** Each installed application's own check (src/application/), by name. */
    apps: { type: 'object', additionalProperties: strictObject(checkProperties) },
  }),
});

/** The health document, as its schema says (`checks.apps` is a record of checks by app name). */
export type HealthBody = FromSchema<typeof healthSchema>;

export const healthRoutes: RoutePlugin = (scope, { plexus, lifecycle }) => {
  const app = scope.withTypeProvider<JsonSchemaToTsProvider>();
  for (const url of apiPaths('/health', '/readyz')) {
    app.get(
      url,
      {
        schema: {
          querystring: noQuery,
          response: { 200: healthSchema, 503: healthSchema, ...errorResponses },
        },
      },
      async (_request, reply): Promise<HealthBody> => {
        const { statusCode, body } = await healthReport(plexus, lifecycle);
        reply.code(statusCode);
        if (statusCode === 503) reply.header('retry-after', '1');
        return body;
      },
    );
  }
};

/** The health document and its HTTP status; also served by the Express handler (src/express/). */
export async function healthReport(
  plexus: Plexus,
  lifecycle: Lifecycle,
): Promise<{ statusCode: 200 | 503; body: HealthBody }> {
  const requireRedis = plexus.config.server.healthRequiresRedis;
  const [redis, database, apps] = await Promise.all([
    checkRedis(plexus),
    checkDatabase(plexus),
    checkApps(plexus),
  ]);
  const reasons: string[] = [];
  let unavailable = false;
  if (lifecycle.draining) {
    reasons.push('shutting down');
    unavailable = true;
  }
  if (database.status === 'fail') {
    reasons.push(`database: ${database.error}`);
    unavailable = true;
  }
  if (redis.status === 'fail') {
    reasons.push(`redis: ${redis.error}`);
    unavailable ||= requireRedis;
  }
  for (const [name, check] of Object.entries(apps)) {
    if (check.status === 'fail') reasons.push(`${name}: ${check.error}`);
  }
  const status = unavailable ? 'unavailable' : reasons.length > 0 ? 'degraded' : 'ok';
  const body: HealthBody = {
    status,
    reasons,
    instanceId: plexus.instanceId,
    uptimeSeconds: Math.round(process.uptime() * 1000) / 1000,
    checks: { redis, database, settings: checkSettings(plexus), apps },
  };
  return { statusCode: unavailable ? 503 : 200, body };
}

async function checkRedis(plexus: Plexus): Promise<HealthBody['checks']['redis']> {
  const layer = plexus.redis;
  const base = { topology: layer.mode, state: layer.state };
  if (layer.state === 'degraded' || layer.state === 'connecting') {
    const why = layer.state === 'connecting' ? 'still connecting' : layer.reason || 'unavailable';
    return { ...base, status: 'fail', latencyMs: null, error: `${why}; serving from in-process fallbacks` };
  }
  try {
    return { ...base, status: 'ok', latencyMs: await layer.store.ping(), error: null };
  } catch (error) {
    return { ...base, status: 'fail', latencyMs: null, error: messageOf(error) };
  }
}

async function checkDatabase(plexus: Plexus): Promise<HealthBody['checks']['database']> {
  const engine = plexus.db.engine;
  try {
    return { engine, status: 'ok', latencyMs: await plexus.db.ping(CHECK_TIMEOUT_MS), error: null };
  } catch (error) {
    return { engine, status: 'fail', latencyMs: null, error: messageOf(error) };
  }
}

/** Reported, not a reason on its own: the database check already says whether it answers now. */
function checkSettings(plexus: Plexus): HealthBody['checks']['settings'] {
  const h = plexus.settings.health();
  return {
    status: h.databaseReadable ? 'ok' : 'fail',
    latencyMs: null,
    error: h.databaseReadable ? null : `serving last known values (stale-if-error): ${h.lastError}`,
    staleServed: h.staleServed,
  };
}

/** An application's failing check makes the instance degraded, not unavailable: the rest still serves. */
async function checkApps(plexus: Plexus): Promise<HealthBody['checks']['apps']> {
  const started = performance.now();
  const results = await withTimeout(appHealth(plexus.installed), CHECK_TIMEOUT_MS);
  const latencyMs = Math.round((performance.now() - started) * 1000) / 1000;
  const checks: HealthBody['checks']['apps'] = {};
  for (const { definition, instance } of plexus.installed) {
    if (instance.health === undefined) continue;
    const result = results?.[definition.name];
    checks[definition.name] =
      result === undefined
        ? { status: 'fail', latencyMs: null, error: `no answer within ${CHECK_TIMEOUT_MS} ms` }
        : {
            status: result.status,
            latencyMs: result.status === 'ok' ? latencyMs : null,
            error: result.error,
          };
  }
  return checks;
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
