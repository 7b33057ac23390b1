/**
 * The modules' figures as prom-client metrics whose `collect()` reads each module's existing
 * statistics at scrape time: nothing is counted twice on a hot path. Counters are set from the
 * module's totals since start (reset, then increased to the total), which is what Prometheus
 * expects of a counter that restarts with the process.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Plexus } from '../index.js';

type Labels = Record<string, string | number>;
type Reading = readonly [Labels, number];
type Read = () => Iterable<Reading> | Promise<Iterable<Reading>>;

const LAYER_STATES = ['memory', 'connecting', 'ready', 'degraded'] as const;
const BREAKER_STATES = ['closed', 'open', 'half-open'] as const;

function counter(registry: Registry, name: string, help: string, labelNames: string[], read: Read): void {
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      const readings = await read();
      this.reset();
      for (const [labels, value] of readings) this.inc(labels, value);
    },
  });
}

function gauge(registry: Registry, name: string, help: string, labelNames: string[], read: Read): void {
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      const readings = await read();
      this.reset();
      for (const [labels, value] of readings) this.set(labels, value);
    },
  });
}

const one = (value: number): Reading[] => [[{}, value]];

export function registerCollectors(registry: Registry, plexus: Plexus): void {
  registerRedis(registry, plexus);
  registerHttp(registry, plexus);
  registerCache(registry, plexus);
  registerBus(registry, plexus);
  registerJobs(registry, plexus);
  registerSessions(registry, plexus);
  registerRealtime(registry, plexus);
}

function registerRedis(registry: Registry, { redis }: Plexus): void {
  gauge(
    registry,
    'plexus_redis_state',
    'Redis layer state: 1 for the current one (degraded: running on in-process fallbacks).',
    ['state'],
    () => LAYER_STATES.map((state) => [{ state }, redis.state === state ? 1 : 0]),
  );
  gauge(
    registry,
    'plexus_redis_breaker_state',
    'Circuit breaker state: 1 for the current one (none in memory mode).',
    ['state'],
    () => BREAKER_STATES.map((state) => [{ state }, redis.breaker === state ? 1 : 0]),
  );
  const nodes = () => Object.entries(redis.stats().nodes);
  counter(registry, 'plexus_redis_operations_total', 'Redis commands sent, per node.', ['node'], () =>
    nodes().map(([node, s]) => [{ node }, s.total]),
  );
  counter(
    registry,
    'plexus_redis_operation_failures_total',
    'Redis commands that failed or timed out, per node.',
    ['node'],
    () => nodes().map(([node, s]) => [{ node }, s.failed]),
  );
  counter(
    registry,
    'plexus_redis_timeouts_total',
    'Redis commands that timed out (REDIS_COMMAND_TIMEOUT_MS).',
    [],
    () => one(redis.stats().timeouts),
  );
  counter(
    registry,
    'plexus_redis_rejected_total',
    'Redis calls refused without trying because the breaker was open.',
    [],
    () => one(redis.stats().rejected),
  );
  gauge(
    registry,
    'plexus_redis_latency_avg_seconds',
    'Average Redis command latency over the last one to two minutes, per node.',
    ['node'],
    () => nodes().map(([node, s]) => [{ node }, s.averageLatencyMs / 1000]),
  );
  gauge(
    registry,
    'plexus_redis_latency_p99_seconds',
    'p99 Redis command latency over the last one to two minutes, per node.',
    ['node'],
    () => nodes().map(([node, s]) => [{ node }, s.p99LatencyMs / 1000]),
  );
}

function registerHttp(registry: Registry, { metrics }: Plexus): void {
  gauge(
    registry,
    'plexus_http_connections',
    'Open HTTP connections, idle keep-alive ones included.',
    [],
    () => one(metrics.httpTotals().connections),
  );
  gauge(registry, 'plexus_http_requests_in_flight', 'HTTP requests being served.', [], () =>
    one(metrics.httpTotals().inFlight),
  );
  gauge(
    registry,
    'plexus_metrics_pending',
    'Metric deltas not yet flushed to Redis (they wait while it is unreachable).',
    [],
    () => one(metrics.stats().pending),
  );
  counter(
    registry,
    'plexus_metrics_batches_lost_total',
    'Metric batches dropped because they may have been applied (a timeout).',
    [],
    () => one(metrics.stats().lost),
  );
}

function registerCache(registry: Registry, { cache }: Plexus): void {
  const namespaces = () => Object.entries(cache.localStats().namespaces);
  counter(
    registry,
    'plexus_cache_hits_total',
    'Cache lookups answered, per namespace and tier (l1: process memory, l2: Redis).',
    ['namespace', 'tier'],
    () =>
      namespaces().flatMap(([namespace, s]): Reading[] => [
        [{ namespace, tier: 'l1' }, s.l1Hits],
        [{ namespace, tier: 'l2' }, s.l2Hits],
      ]),
  );
  counter(
    registry,
    'plexus_cache_misses_total',
    'Cache lookups that found no fresh value in either tier.',
    ['namespace'],
    () => namespaces().map(([namespace, s]) => [{ namespace }, s.misses]),
  );
  counter(
    registry,
    'plexus_cache_stale_served_total',
    'Stale values served within grace because the loader or Redis failed.',
    ['namespace'],
    () => namespaces().map(([namespace, s]) => [{ namespace }, s.staleServed]),
  );
  counter(registry, 'plexus_cache_loader_calls_total', 'Loader calls made on misses.', ['namespace'], () =>
    namespaces().map(([namespace, s]) => [{ namespace }, s.loaderCalls]),
  );
  counter(
    registry,
    'plexus_cache_errors_total',
    'Loader errors and Redis errors the cache carried on without.',
    ['namespace', 'kind'],
    () =>
      namespaces().flatMap(([namespace, s]): Reading[] => [
        [{ namespace, kind: 'loader' }, s.loaderErrors],
        [{ namespace, kind: 'l2' }, s.l2Errors],
      ]),
  );
  gauge(
    registry,
    'plexus_cache_l1_entries',
    'Entries held in process memory (L1), per namespace.',
    ['namespace'],
    () => namespaces().map(([namespace, s]) => [{ namespace }, s.l1Entries]),
  );
  gauge(
    registry,
    'plexus_cache_l1_bytes',
    'Bytes held in process memory (L1), per namespace.',
    ['namespace'],
    () => namespaces().map(([namespace, s]) => [{ namespace }, s.l1Bytes]),
  );
  counter(
    registry,
    'plexus_cache_invalidations_total',
    'L1 invalidation messages published and received.',
    ['direction'],
    () => {
      const { published, received } = cache.localStats().invalidation;
      return [
        [{ direction: 'published' }, published],
        [{ direction: 'received' }, received],
      ];
    },
  );
}

function registerBus(registry: Registry, { bus }: Plexus): void {
  const figures = [
    ['published', 'Bus messages published by this instance.'],
    ['received', 'Bus messages received from other instances.'],
    ['delivered', 'Bus handler invocations, local and remote.'],
    ['missed', 'Bus messages the other instances missed: published while the cluster was unreachable.'],
    ['handlerErrors', 'Bus handlers that threw.'],
  ] as const;
  for (const [field, help] of figures) {
    const name = `plexus_bus_${field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}_total`;
    counter(registry, name, help, [], () => one(bus.stats()[field]));
  }
  gauge(registry, 'plexus_bus_subscriptions', 'Bus subscriptions on this instance.', [], () =>
    one(bus.stats().subscriptions),
  );
}

function registerJobs(registry: Registry, { jobs }: Plexus): void {
  // One listing per scrape, shared by the job metrics (collect() calls run concurrently).
  let listing: ReturnType<Plexus['jobs']['list']> | undefined;
  const here = async () => {
    listing ??= jobs.list().finally(() => {
      listing = undefined;
    });
    return (await listing).filter((j) => j.here.scheduled);
  };
  const perJob = (
    name: string,
    help: string,
    type: typeof counter,
    value: (j: Awaited<ReturnType<typeof here>>[number]) => number,
  ) =>
    type(registry, name, help, ['job'], async () => (await here()).map((j) => [{ job: j.name }, value(j)]));
  perJob('plexus_job_runs_total', 'Ticks of the job this instance ran.', counter, (j) => j.here.runs);
  perJob(
    'plexus_job_failures_total',
    'Ticks of the job that failed on this instance.',
    counter,
    (j) => j.here.failures,
  );
  perJob(
    'plexus_job_skipped_total',
    'Ticks skipped here: the previous one still running, or Redis unreachable.',
    counter,
    (j) => j.here.skippedOverlap + j.here.skippedNoRedis,
  );
  perJob('plexus_job_leader', '1 while this instance holds the job’s lease.', gauge, (j) =>
    j.here.leading ? 1 : 0,
  );
  perJob('plexus_job_running', '1 while a tick of the job runs on this instance.', gauge, (j) =>
    j.here.running ? 1 : 0,
  );
  perJob(
    'plexus_job_idle',
    '1 while this instance lets the job’s ticks pass after a run that found nothing (idleEvery).',
    gauge,
    (j) => (j.here.idle ? 1 : 0),
  );
  perJob(
    'plexus_job_lag_seconds',
    'How late the last tick run here started after its scheduled time.',
    gauge,
    (j) => {
      const last = j.here.lastRun;
      return last === null ? 0 : Math.max(0, last.startedAt - last.tick) / 1000;
    },
  );
  perJob(
    'plexus_job_last_duration_seconds',
    'Duration of the last tick run here.',
    gauge,
    (j) => (j.here.lastRun?.durationMs ?? 0) / 1000,
  );
}

function registerSessions(registry: Registry, { sessions }: Plexus): void {
  gauge(
    registry,
    'plexus_sessions_shared',
    '1 while sessions are shared by every instance (Redis reachable, or memory mode).',
    [],
    () => one(sessions.health().shared ? 1 : 0),
  );
  gauge(
    registry,
    'plexus_sessions_local',
    'Sessions kept in this process while Redis was unreachable, not yet moved back.',
    [],
    () => one(sessions.health().local),
  );
  gauge(
    registry,
    'plexus_sessions_pending_logouts',
    'Logouts made while Redis was unreachable, to replay there.',
    [],
    () => {
      const h = sessions.health();
      return one(h.pendingLogouts + h.pendingLogoutAll);
    },
  );
  const copies = () => sessions.health().localCache;
  gauge(
    registry,
    'plexus_session_local_copies',
    'Sessions held as local copies (SESSION_LOCAL_CACHE_MS).',
    [],
    () => one(copies()?.entries ?? 0),
  );
  counter(
    registry,
    'plexus_session_local_copy_reads_total',
    'Session reads with local copies on: served from a copy (hit) or from Redis (miss).',
    ['result'],
    () => {
      const c = copies();
      return [
        [{ result: 'hit' }, c?.hits ?? 0],
        [{ result: 'miss' }, c?.misses ?? 0],
      ];
    },
  );
}

function registerRealtime(registry: Registry, { realtime }: Plexus): void {
  const perEndpoint = (field: 'connections' | 'rooms' | 'messagesIn' | 'messagesOut') => () =>
    realtime.localStats().endpoints.map((e): Reading => [{ endpoint: e.endpoint }, e[field]]);
  gauge(
    registry,
    'plexus_ws_connections',
    'WebSocket connections on this instance, per endpoint.',
    ['endpoint'],
    perEndpoint('connections'),
  );
  gauge(
    registry,
    'plexus_ws_rooms',
    'Rooms with members on this instance, per endpoint.',
    ['endpoint'],
    perEndpoint('rooms'),
  );
  counter(
    registry,
    'plexus_ws_messages_in_total',
    'Frames received from WebSocket clients, per endpoint.',
    ['endpoint'],
    perEndpoint('messagesIn'),
  );
  counter(
    registry,
    'plexus_ws_messages_out_total',
    'Frames sent to WebSocket clients, per endpoint.',
    ['endpoint'],
    perEndpoint('messagesOut'),
  );
  counter(
    registry,
    'plexus_ws_missed_total',
    'Realtime messages the other instances missed: published while Redis was unreachable.',
    [],
    () => one(realtime.localStats().missed),
  );
  gauge(
    registry,
    'plexus_ws_subscriptions',
    'Realtime pub/sub channels this instance is subscribed to.',
    [],
    () => one(realtime.localStats().subscriptions),
  );
}
