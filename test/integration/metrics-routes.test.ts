/**
 * The jobs and metrics routes on the reference server over real HTTP, in memory mode and on
 * Redis: admin only, schemas, and the figures the HTTP hooks feed in (route patterns, statuses,
 * server errors with their request context).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoutePlugin } from '../../src/server/context.js';
import { TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { errorCode, type JsonResponse, type Running, request, startServer } from './server/harness.js';

const TOKEN = 'metrics-test-admin-token';
const admin = { headers: { authorization: `Bearer ${TOKEN}` } };

const sampleRoutes: RoutePlugin = (app) => {
  app.get('/sample/users/:id', async () => ({ ok: true }));
  app.get('/sample/boom', async () => {
    throw new Error('kaput');
  });
};

const MODES: Record<string, Record<string, string>> = {
  memory: { REDIS_MODE: 'memory' },
  redis: {
    REDIS_MODE: 'single',
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: uniquePrefix('metrics-routes'),
  },
};

describe.each(Object.entries(MODES))('metrics routes (%s)', (_mode, env) => {
  let server: Running;
  const get = (path: string, init = admin): Promise<JsonResponse> => request(`${server.url}${path}`, init);

  beforeAll(async () => {
    server = await startServer({
      env: {
        ...env,
        PLEXUS_ADMIN_TOKEN: TOKEN,
        INSTANCES_REPORT_INTERVAL_MS: '200',
        INSTANCES_TTL_MS: '2000',
      },
      extraRoutes: [sampleRoutes],
    });
    server.plexus.jobs.every('routes-test', '1s', () => {}, { description: 'nothing' });
  });
  afterAll(() => server.stop());

  it('is for administrators only', async () => {
    for (const path of [
      '/api/1/jobs',
      '/api/1/metrics',
      '/api/1/metrics/servers',
      '/api/1/metrics/requests',
      '/api/1/metrics/errors/recent',
      '/api/1/metrics/counters',
    ]) {
      const response = await get(path, { headers: { authorization: '' } });
      expect(response.status, path).toBe(401);
      expect(errorCode(response)).toBe('UNAUTHORIZED');
    }
  });

  it('counts requests by route pattern and status, and records server errors with context', async () => {
    await get('/sample/users/1', {} as typeof admin);
    await get('/sample/users/2', {} as typeof admin);
    await get('/sample/nowhere', {} as typeof admin);
    const boom = await get('/sample/boom?token=secret', {} as typeof admin);
    expect(boom.status).toBe(500);
    server.plexus.metrics.increment('routes.test', 3);
    await server.plexus.instances.beat();

    const requests = await get('/api/1/metrics/requests?minutes=2');
    expect(requests.status).toBe(200);
    expect(requests.body).toMatchObject({ source: 'cluster', singleInstance: false, minutes: 2 });
    const routes = requests.body.routes as { method: string; route: string; status: number; count: number }[];
    expect(routes).toContainEqual({ method: 'GET', route: '/sample/users/:id', status: 200, count: 2 });
    expect(routes).toContainEqual({ method: 'GET', route: '(unmatched)', status: 404, count: 1 });
    expect(routes).toContainEqual({ method: 'GET', route: '/sample/boom', status: 500, count: 1 });

    const errors = await get('/api/1/metrics/errors/recent?count=5');
    expect(errors.status).toBe(200);
    const [latest] = errors.body.errors as Record<string, unknown>[];
    expect(latest).toMatchObject({
      message: 'kaput',
      statusCode: 500,
      instanceId: server.plexus.instanceId,
      context: { method: 'GET', url: '/sample/boom', route: '/sample/boom' },
    });
    expect((latest!.context as { requestId: string }).requestId).toMatch(/\S/);

    const counters = await get('/api/1/metrics/counters');
    expect(counters.body).toMatchObject({ counters: { 'routes.test': 3 } });
  });

  it('serves the cluster document and the server view', async () => {
    const doc = await get('/api/1/metrics');
    expect(doc.status).toBe(200);
    expect(doc.body).toMatchObject({ status: 'ok', source: 'cluster', singleInstance: false });
    const statistics = doc.body.statistics as Record<string, unknown>;
    expect(statistics).toMatchObject({
      totalServers: 1,
      totalInstances: 1,
      runningProcesses: 1,
      counters: { 'routes.test': 3 },
    });
    const servers = doc.body.servers as { instances: Record<string, unknown>[] }[];
    const me = servers[0]!.instances[0]!;
    expect(me).toMatchObject({ id: server.plexus.instanceId, effectiveStatus: 'running', pid: process.pid });
    expect((me.http as { requests: number }).requests).toBeGreaterThanOrEqual(4);
    expect((me.http as { connections: number }).connections).toBeGreaterThanOrEqual(0);
    expect(me.bus).toMatchObject({ published: 0, missed: 0 });

    const view = await get('/api/1/metrics/servers');
    expect(view.body).toMatchObject({ totalServers: 1 });
  });

  it('lists jobs with their schedule and outage rule', async () => {
    const jobs = await get('/api/1/jobs');
    expect(jobs.status).toBe(200);
    expect(jobs.body.jobs).toContainEqual(
      expect.objectContaining({
        name: 'routes-test',
        schedule: 'every 1s',
        whenRedisDown: 'skip',
        description: 'nothing',
      }),
    );
  });

  it('refuses bad query strings with 400', async () => {
    for (const path of [
      '/api/1/metrics/requests?minutes=0',
      '/api/1/metrics/requests?minutes=61',
      '/api/1/metrics/requests?minutes=abc',
      '/api/1/metrics/errors/recent?count=101',
      '/api/1/metrics?x=1',
      '/api/1/jobs?x=1',
    ]) {
      const response = await get(path);
      expect(response.status, path).toBe(400);
      expect(errorCode(response)).toBe('VALIDATION_FAILED');
    }
  });
});
