/**
 * The Prometheus exposition on the reference server: every family a real parser reads, access
 * (open without tokens outside production, refused in production, METRICS_TOKEN and the admin
 * token), a configured path, a separate port, and the cluster-wide exposition of three instances
 * on one Redis, which falls back to this instance when Redis is gone.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { JOB_IDLE } from '../../src/jobs/index.js';
import { silentLogger } from '../../src/logger.js';
import { createRequireMetrics } from '../../src/server/auth.js';
import type { RoutePlugin } from '../../src/server/context.js';
import { allocatePort, releasePort } from '../support/ports.js';
import { parseExposition, parseSeries, sampleValue } from '../support/prometheus.js';
import { TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { errorCode, type Running, request, startServer } from './server/harness.js';

const ADMIN = 'prometheus-admin-token-0123';
const SCRAPER = 'prometheus-scraper-token-0123';
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

const sampleRoutes: RoutePlugin = (app) => {
  app.get('/sample/users/:id', async () => ({ ok: true }));
};

const redisEnv = (prefix: string) => ({
  REDIS_MODE: 'single',
  REDIS_URL: TEST_REDIS_URL,
  REDIS_KEY_PREFIX: prefix,
  INSTANCES_REPORT_INTERVAL_MS: '200',
  INSTANCES_TTL_MS: '2000',
  METRICS_PUBLISH_INTERVAL_MS: '200',
});

const FAMILIES = [
  // Process and Node (prom-client's default metrics).
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'nodejs_eventloop_lag_seconds',
  'nodejs_heap_size_used_bytes',
  // HTTP.
  'plexus_http_request_duration_seconds',
  'plexus_http_requests_in_flight',
  'plexus_http_connections',
  // Redis layer.
  'plexus_redis_state',
  'plexus_redis_breaker_state',
  'plexus_redis_operations_total',
  'plexus_redis_operation_failures_total',
  'plexus_redis_latency_avg_seconds',
  'plexus_redis_latency_p99_seconds',
  // Cache.
  'plexus_cache_hits_total',
  'plexus_cache_misses_total',
  'plexus_cache_l1_bytes',
  'plexus_cache_l1_entries',
  // Bus.
  'plexus_bus_published_total',
  'plexus_bus_delivered_total',
  'plexus_bus_missed_total',
  // Jobs.
  'plexus_job_runs_total',
  'plexus_job_failures_total',
  'plexus_job_lag_seconds',
  'plexus_job_leader',
  'plexus_job_idle',
  // Sessions.
  'plexus_sessions_shared',
  'plexus_sessions_local',
  'plexus_session_local_copy_reads_total',
];

describe('Prometheus exposition (one instance on Redis)', () => {
  let server: Running;

  beforeAll(async () => {
    server = await startServer({
      env: { ...redisEnv(uniquePrefix('prom')), PLEXUS_ADMIN_TOKEN: ADMIN, METRICS_TOKEN: SCRAPER },
      extraRoutes: [sampleRoutes],
    });
    const { plexus } = server;
    let ran!: () => void;
    const jobRan = new Promise<void>((resolve) => {
      ran = resolve;
    });
    plexus.jobs.every('prom-test', '200ms', () => ran());
    let idleRan!: () => void;
    const jobWentIdle = new Promise<void>((resolve) => {
      idleRan = resolve;
    });
    plexus.jobs.every(
      'prom-idle',
      '200ms',
      () => {
        idleRan();
        return JOB_IDLE;
      },
      { idleEvery: '1h' },
    );
    const users = plexus.cache.namespace('prom-users');
    await users.getOrSet('u1', () => 'one');
    await users.getOrSet('u1', () => 'one');
    await plexus.bus.publish('test:prom:event', { n: 1 });
    await Promise.all([jobRan, jobWentIdle]);
  });
  afterAll(() => server.stop());

  it('answers 401 without a token, 200 with METRICS_TOKEN or the admin token', async () => {
    const anonymous = await request(`${server.url}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(errorCode(anonymous)).toBe('UNAUTHORIZED');
    expect((await request(`${server.url}/metrics`, bearer('wrong-token-wrong-token'))).status).toBe(401);
    expect((await request(`${server.url}/metrics/cluster`)).status).toBe(401);
    for (const token of [SCRAPER, ADMIN]) {
      const response = await request(`${server.url}/metrics`, bearer(token));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    }
  });

  it('holds every family, read by a real parser', async () => {
    await request(`${server.url}/sample/users/1`);
    await request(`${server.url}/sample/users/2`);
    const { text } = await request(`${server.url}/metrics`, bearer(SCRAPER));
    const families = parseExposition(text);
    for (const name of FAMILIES) expect(families.has(name), name).toBe(true);

    expect(families.get('plexus_http_request_duration_seconds')!.type).toBe('HISTOGRAM');
    const series = parseSeries(text);
    const users = { method: 'GET', route: '/sample/users/:id', status_code: '200' };
    expect(sampleValue(series.get('plexus_http_request_duration_seconds_count'), users)).toBe(2);
    expect(
      sampleValue(series.get('plexus_http_request_duration_seconds_bucket'), { ...users, le: '+Inf' }),
    ).toBe(2);
    expect(sampleValue(series.get('plexus_http_request_duration_seconds_sum'), users)).toBeGreaterThan(0);

    const value = (name: string, labels: Record<string, string> = {}) =>
      sampleValue(series.get(name), labels);
    expect(value('plexus_redis_state', { state: 'ready' })).toBe(1);
    expect(value('plexus_redis_breaker_state', { state: 'closed' })).toBe(1);
    expect(value('plexus_cache_hits_total', { namespace: 'prom-users', tier: 'l1' })).toBe(1);
    expect(value('plexus_cache_misses_total', { namespace: 'prom-users' })).toBe(1);
    expect(value('plexus_bus_published_total')).toBeGreaterThanOrEqual(1);
    expect(
      value('plexus_job_runs_total', { job: 'prom-test' }) + value('plexus_job_leader', { job: 'prom-test' }),
    ).toBeGreaterThanOrEqual(1);
    expect(value('plexus_job_idle', { job: 'prom-idle' })).toBe(1);
    expect(value('plexus_job_idle', { job: 'prom-test' })).toBe(0);
    expect(value('plexus_sessions_shared')).toBe(1);
  });
});

describe('Prometheus exposition settings', () => {
  const stops: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });

  it('is open without any token outside production, at a configured path', async () => {
    const server = await startServer({ env: { REDIS_MODE: 'memory', METRICS_PATH: '/internal/prom' } });
    stops.push(() => server.stop());
    expect((await request(`${server.url}/metrics`)).status).toBe(404);
    const response = await request(`${server.url}/internal/prom`);
    expect(response.status).toBe(200);
    expect(parseExposition(response.text).has('plexus_http_request_duration_seconds')).toBe(true);
    expect((await request(`${server.url}/internal/prom/cluster`)).status).toBe(200);
  });

  it('is never open in production', () => {
    const config = loadConfig({ REDIS_MODE: 'memory', NODE_ENV: 'production' });
    expect(() => createRequireMetrics(config, silentLogger)).toThrow(/METRICS_TOKEN/);
    const withToken = loadConfig({ REDIS_MODE: 'memory', NODE_ENV: 'production', METRICS_TOKEN: SCRAPER });
    expect(createRequireMetrics(withToken, silentLogger)).toBeTypeOf('function');
  });

  it('is served on METRICS_PORT only, when set', async () => {
    const port = await allocatePort();
    stops.push(async () => releasePort(port));
    const server = await startServer({
      env: { REDIS_MODE: 'memory', METRICS_PORT: String(port), METRICS_TOKEN: SCRAPER },
    });
    stops.push(() => server.stop());
    expect((await request(`${server.url}/metrics`, bearer(SCRAPER))).status).toBe(404);
    const separate = `http://127.0.0.1:${port}`;
    expect((await request(`${separate}/metrics`)).status).toBe(401);
    const response = await request(`${separate}/metrics`, bearer(SCRAPER));
    expect(response.status).toBe(200);
    expect(parseExposition(response.text).has('process_cpu_seconds_total')).toBe(true);
    expect((await request(`${separate}/metrics/cluster`, bearer(SCRAPER))).status).toBe(200);
  });
});

describe('cluster-wide exposition (three instances on one Redis)', () => {
  const servers: Running[] = [];

  beforeAll(async () => {
    const env = { ...redisEnv(uniquePrefix('prom-cluster')), METRICS_TOKEN: SCRAPER };
    for (let i = 0; i < 3; i++) servers.push(await startServer({ env, extraRoutes: [sampleRoutes] }));
  });
  afterAll(async () => {
    for (const server of servers) await server.stop();
  });

  it('labels every instance’s figures with `instance`', async () => {
    for (const server of servers) await request(`${server.url}/sample/users/7`);
    await new Promise((resolve) => setTimeout(resolve, 500)); // two publish intervals
    const response = await request(`${servers[0]!.url}/metrics/cluster`, bearer(SCRAPER));
    expect(response.status).toBe(200);
    const series = parseSeries(response.text);
    const ids = servers.map((s) => s.plexus.instanceId).sort();
    const instancesOf = (name: string) =>
      [...new Set(series.get(name)!.map((m) => m.labels?.instance))].sort();
    expect(instancesOf('process_resident_memory_bytes')).toEqual(ids);
    expect(instancesOf('plexus_http_request_duration_seconds_count')).toEqual(ids);
    expect(sampleValue(series.get('plexus_cluster_exposition_instances'))).toBe(3);
    expect(sampleValue(series.get('plexus_cluster_exposition_degraded'))).toBe(0);
    const users = { route: '/sample/users/:id', status_code: '200' };
    for (const id of ids) {
      expect(
        sampleValue(series.get('plexus_http_request_duration_seconds_count'), { ...users, instance: id }),
        id,
      ).toBe(1);
    }
  });

  it('drops a stopped instance', async () => {
    const stopped = servers.pop()!;
    await stopped.stop();
    const families = parseExposition(
      (await request(`${servers[0]!.url}/metrics/cluster`, bearer(SCRAPER))).text,
    );
    const seen = new Set(
      families.get('process_resident_memory_bytes')!.metrics.map((m) => m.labels?.instance),
    );
    expect(seen.has(stopped.plexus.instanceId)).toBe(false);
    expect(seen.size).toBe(2);
  });
});

describe('cluster-wide exposition without Redis', () => {
  let server: Running;
  beforeAll(async () => {
    // Nothing listens on port 1: the layer starts degraded.
    server = await startServer({
      env: {
        ...redisEnv(uniquePrefix('prom-down')),
        REDIS_URL: 'redis://127.0.0.1:1',
        REDIS_CONNECT_TIMEOUT_MS: '300',
      },
    });
  });
  afterAll(() => server.stop());

  it('answers with this instance only, and says so', async () => {
    const response = await request(`${server.url}/metrics/cluster`);
    expect(response.status).toBe(200);
    expect(response.text).toContain('# Redis unreachable');
    const families = parseExposition(response.text);
    expect(families.get('plexus_cluster_exposition_degraded')!.metrics[0]!.value).toBe('1');
    const seen = new Set(
      families.get('process_resident_memory_bytes')!.metrics.map((m) => m.labels?.instance),
    );
    expect([...seen]).toEqual([server.plexus.instanceId]);
    expect(
      Number(families.get('plexus_redis_state')!.metrics.find((m) => m.labels?.state === 'degraded')?.value),
    ).toBe(1);
  });
});
