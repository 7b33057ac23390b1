/**
 * Graceful shutdown over real HTTP: in-flight requests finish, new connections are refused,
 * health turns 503 while draining, requests that overrun the deadline are cut, and Redis and the
 * database are closed at the end; for a server that listens, and for one that serves connections
 * handed over by a cluster primary (a worker of `plexus start --workers`).
 */
import { describe, expect, it } from 'vitest';
import { createPlexus } from '../../../src/index.js';
import { buildApp } from '../../../src/server/app.js';
import type { RoutePlugin } from '../../../src/server/context.js';
import { TEST_REDIS_URL, uniquePrefix } from '../../support/redis.js';
import { request, startServer } from './harness.js';

function slowRoute(release: Promise<void>, onEnter = () => {}): RoutePlugin {
  return (app) => {
    app.get('/test/slow', async () => {
      onEnter();
      await release;
      return { done: true };
    });
  };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe.each([
  ['listening', false],
  ['fed by a cluster primary', true],
])('graceful shutdown, %s', (_mode, handed) => {
  it('drains in-flight requests, refuses new ones, then closes Redis and the database', async () => {
    const gate = deferred();
    let entered = false;
    const { url, plexus, stop } = await startServer({
      env: { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: uniquePrefix('shutdown') },
      extraRoutes: [slowRoute(gate.promise, () => (entered = true))],
      handed,
    });
    // An idle keep-alive connection too: the drain closes it rather than waiting for its client.
    const idle = await request(`${url}/api/1/status`);
    expect(idle.status).toBe(200);
    const inFlight = request(`${url}/test/slow`);
    await expect.poll(() => entered).toBe(true);

    let stopped = false;
    const stopping = stop().finally(() => (stopped = true));
    // Stopped listening: a new connection is refused while the old request is still running.
    await expect
      .poll(() =>
        fetch(`${url}/api/1/status`).then(
          () => 'served',
          () => 'refused',
        ),
      )
      .toBe('refused');
    // Still draining: Redis and the database stay open while a request runs.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(stopped).toBe(false);
    await expect(plexus.db.ping(500)).resolves.toBeTypeOf('number');
    gate.resolve();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ done: true });
    expect(await stopping).toBe(true);

    await expect(plexus.redis.store.get('x')).rejects.toThrow();
    await expect(plexus.db.ping(500)).rejects.toThrow();
  });

  it.skipIf(handed)(
    'answers health and readiness with 503 and the reason once draining, liveness with 200',
    async () => {
      // Over HTTP the window is closed at once (new connections are refused, idle ones closed), so
      // the route's own check is exercised in-process.
      const plexus = createPlexus({ env: { DATABASE_URL: 'sqlite::memory:' } });
      await plexus.start();
      const { app, lifecycle } = buildApp(plexus);
      lifecycle.draining = true;
      for (const url of ['/api/1/health', '/readyz']) {
        const response = await app.inject({ method: 'GET', url });
        expect(response.statusCode).toBe(503);
        expect(response.json()).toMatchObject({ status: 'unavailable', reasons: ['shutting down'] });
      }
      // Liveness stays 200: the process is alive and finishing its work.
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      await app.close();
      await plexus.close();
    },
  );

  it('cuts requests still running at PLEXUS_SHUTDOWN_TIMEOUT_MS and reports an unclean stop', async () => {
    const never = new Promise<void>(() => {});
    let entered = false;
    const { url, stop } = await startServer({
      env: { PLEXUS_SHUTDOWN_TIMEOUT_MS: '300' },
      extraRoutes: [slowRoute(never, () => (entered = true))],
      handed,
    });
    const stuck = fetch(`${url}/test/slow`).then(
      () => 'answered',
      () => 'cut',
    );
    await expect.poll(() => entered).toBe(true);
    const started = Date.now();
    expect(await stop()).toBe(false);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await stuck).toBe('cut');
  });
});
