/**
 * Every built-in route over real HTTP: memory mode, a real Redis, an unreachable Redis and an
 * unreachable database; admin authorisation; the production refusal.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { createPlexus } from '../../../src/index.js';
import { createServer } from '../../../src/server/index.js';
import { TEST_REDIS_URL, uniquePrefix } from '../../support/redis.js';
import { errorCode, type Running, request, startServer } from './harness.js';

const TOKEN = 'test-admin-token-0123456789';
let running: Running | undefined;

afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function start(env: Record<string, string> = {}, connect?: 'redis-only'): Promise<Running> {
  running = await startServer({ env, ...(connect === undefined ? {} : { connect }) });
  return running;
}

function redisEnv(): Record<string, string> {
  return { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: uniquePrefix('server') };
}

describe('memory mode (no Redis configured)', () => {
  it('GET /api/1/status and its alias /api/status describe this process', async () => {
    const { url, plexus } = await start();
    for (const path of ['/api/1/status', '/api/status']) {
      const response = await request(`${url}${path}`);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        status: 'online',
        cluster: { isWorker: false, workerId: 'primary', instanceId: plexus.instanceId, pid: process.pid },
        redis: { connected: false, fallbackMode: true, healthy: true, topology: 'memory', state: 'memory' },
      });
    }
    expect(plexus.instanceId).toMatch(new RegExp(`-${process.pid}-[0-9a-f]{6}$`));
  });

  it('GET /api/1/health is ok with both checks timed', async () => {
    const { url } = await start();
    const response = await request(`${url}/api/1/health`);
    expect(response.status).toBe(200);
    const body = response.body as { status: string; reasons: string[]; checks: Record<string, Check> };
    expect(body.status).toBe('ok');
    expect(body.reasons).toEqual([]);
    expect(body.checks.redis).toMatchObject({ status: 'ok', topology: 'memory', error: null });
    expect(body.checks.database).toMatchObject({ status: 'ok', engine: 'sqlite', error: null });
    expect(typeof body.checks.database!.latencyMs).toBe('number');
  });

  it('GET /api/1/health/cache (and /api/health/cache) report the memory backend', async () => {
    const { url } = await start();
    for (const path of ['/api/1/health/cache', '/api/health/cache']) {
      const response = await request(`${url}${path}`);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        type: 'memory',
        distributed: false,
        status: 'healthy',
        totalNodes: 0,
        nodes: [],
        operations: { total: 0, successful: 0, failed: 0, successRate: 1, averageResponseTime: 0 },
        connections: { nodes: 0, reachable: 0, subscriptions: 0 },
      });
    }
  });
});

interface Check {
  status: string;
  latencyMs: number | null;
  error: string | null;
}

describe('admin routes', () => {
  const paths = ['/api/1/admin/cache/cluster', '/api/admin/cache/cluster'];

  it('are refused when no admin token is configured', async () => {
    const { url } = await start();
    const response = await request(`${url}${paths[0]}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(401);
    expect(errorCode(response)).toBe('UNAUTHORIZED');
    expect(response.text).toContain('PLEXUS_ADMIN_TOKEN');
  });

  it('need the bearer token: missing or wrong → 401 with WWW-Authenticate, right → 200', async () => {
    const { url } = await start({ PLEXUS_ADMIN_TOKEN: TOKEN });
    for (const path of paths) {
      for (const authorization of [
        undefined,
        'Bearer wrong-token-xxxxxxxxxxxx',
        `Basic ${TOKEN}`,
        'Bearer',
        `Bearer ${TOKEN}x`,
      ]) {
        const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
        const response = await request(`${url}${path}`, { headers });
        expect(response.status, `${path} ${authorization}`).toBe(401);
        expect(errorCode(response)).toBe('UNAUTHORIZED');
        expect(response.headers.get('www-authenticate')).toBe('Bearer realm="plexus"');
      }
      const ok = await request(`${url}${path}`, { headers: { authorization: `bearer ${TOKEN}` } });
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ type: 'memory', breaker: 'none', reason: null });
    }
  });

  it('refuse to start in production without a token, and refuse short tokens', () => {
    // Other modules have production requirements of their own (a session secret).
    const env = {
      DATABASE_URL: 'sqlite::memory:',
      NODE_ENV: 'production',
      REDIS_MODE: 'memory',
      SESSION_SECRET: 'a-session-secret-of-at-least-32-characters',
    };
    const plexus = createPlexus({ env });
    expect(() => createServer(plexus)).toThrow(ConfigError);
    expect(() => createServer(plexus)).toThrow(/PLEXUS_ADMIN_TOKEN/);
    expect(() => createPlexus({ env: { ...env, PLEXUS_ADMIN_TOKEN: 'short' } })).toThrow(/at least 16/);
    const withToken = createPlexus({ env: { ...env, PLEXUS_ADMIN_TOKEN: TOKEN } });
    expect(() => createServer(withToken)).not.toThrow();
  });
});

describe('with a real Redis', () => {
  it('status shows Redis connected and shared', async () => {
    const { url } = await start(redisEnv());
    const response = await request(`${url}/api/status`);
    expect(response.body.redis).toEqual({
      connected: true,
      fallbackMode: false,
      healthy: true,
      topology: 'single',
      state: 'ready',
    });
  });

  it('health times a Redis round trip; cache routes list the node and count operations', async () => {
    const { url } = await start({ ...redisEnv(), PLEXUS_ADMIN_TOKEN: TOKEN });
    const health = await request(`${url}/api/1/health`);
    expect(health.status).toBe(200);
    const redis = (health.body.checks as Record<string, Check>).redis!;
    expect(redis).toMatchObject({ status: 'ok', topology: 'single', error: null });
    expect(redis.latencyMs).toBeGreaterThan(0);

    const cache = await request(`${url}/api/1/health/cache`);
    expect(cache.body).toMatchObject({
      type: 'redis-single',
      distributed: true,
      status: 'healthy',
      totalNodes: 1,
      healthyNodes: 1,
      nodes: [{ address: '127.0.0.1:6379', role: 'master', healthy: true, error: null }],
      connections: { nodes: 1, reachable: 1 },
    });
    const operations = cache.body.operations as {
      total: number;
      successful: number;
      failed: number;
      successRate: number;
    };
    // Other modules talk to Redis in the background too; the counters must add up.
    expect(operations.successful).toBeGreaterThan(0);
    expect(operations.successful + operations.failed).toBe(operations.total);
    expect(operations.successRate).toBeCloseTo(operations.successful / operations.total, 2);

    const cluster = await request(`${url}/api/admin/cache/cluster`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(cluster.status).toBe(200);
    expect(cluster.body).toMatchObject({ breaker: 'closed', reason: null });
    const [node] = cluster.body.nodes as { operations: { total: number } }[];
    expect(node!.operations.total).toBeGreaterThan(0);
  });
});

describe('when a backend is unreachable', () => {
  const deadRedis = { REDIS_URL: 'redis://127.0.0.1:1', REDIS_KEY_PREFIX: uniquePrefix('dead') };

  it('Redis down: status reports fallback mode, health is 200 degraded with the reason', async () => {
    const { url } = await start(deadRedis);
    const status = await request(`${url}/api/1/status`);
    expect(status.body.redis).toMatchObject({
      connected: false,
      fallbackMode: true,
      healthy: false,
      state: 'degraded',
    });

    const health = await request(`${url}/api/1/health`);
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('degraded');
    expect((health.body.reasons as string[])[0]).toMatch(/^redis: .*in-process fallbacks/);
    expect((health.body.checks as Record<string, Check>).redis).toMatchObject({
      status: 'fail',
      latencyMs: null,
    });

    const cache = await request(`${url}/api/health/cache`);
    expect(cache.body).toMatchObject({
      type: 'redis-single',
      distributed: false,
      status: 'degraded',
      healthyNodes: 0,
    });
    expect((cache.body.nodes as { healthy: boolean }[])[0]!.healthy).toBe(false);
  });

  it('Redis down with PLEXUS_HEALTH_REQUIRES_REDIS: health is 503', async () => {
    const { url } = await start({ ...deadRedis, PLEXUS_HEALTH_REQUIRES_REDIS: 'true' });
    const health = await request(`${url}/api/1/health`);
    expect(health.status).toBe(503);
    expect(health.body.status).toBe('unavailable');
    expect(health.headers.get('retry-after')).toBe('1');
  });

  it('database down: health is 503 with the database reason; status still answers', async () => {
    const { url } = await start(
      { DATABASE_URL: 'postgres://root@127.0.0.1:1/test', DATABASE_CONNECT_TIMEOUT_MS: '500' },
      'redis-only',
    );
    const health = await request(`${url}/api/1/health`);
    expect(health.status).toBe(503);
    expect(health.body.status).toBe('unavailable');
    expect((health.body.reasons as string[]).join()).toMatch(/^database: /);
    expect((health.body.checks as Record<string, Check>).database).toMatchObject({
      status: 'fail',
      engine: 'postgres',
      latencyMs: null,
    });
    expect((await request(`${url}/api/status`)).status).toBe(200);
  });
});
