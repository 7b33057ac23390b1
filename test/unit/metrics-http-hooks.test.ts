/**
 * The HTTP metrics hooks attribute every request to its route pattern: through the recorder its
 * route's handler hands over (the fast path), a request answered before its handler ran (a global
 * hook replied, validation refused it: from routeOptions), and one that matched no route.
 */
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { httpMetrics } from '../../src/metrics/index.js';
import { memoryMetrics } from '../support/metrics.js';

describe('httpMetrics', () => {
  it('counts by route pattern on every path through the hooks', async () => {
    const { metrics, seen } = memoryMetrics('hooks');
    const app = Fastify();
    await app.register(httpMetrics(metrics));
    // A global hook that answers before the route's own hooks (as draining does).
    app.addHook('onRequest', (request, reply, done) => {
      if (request.headers['x-refuse'] === '1') {
        void reply.code(503).send({ refused: true });
        return;
      }
      done();
    });
    app.get('/items/:id', async () => ({ ok: true }));
    app.get(
      '/numbers/:n',
      { schema: { params: { type: 'object', properties: { n: { type: 'integer' } } } } },
      function handler(this: unknown, request) {
        // The route's own handler still runs with the instance as `this`.
        return { ok: this === app, n: (request.params as { n: number }).n };
      },
    );
    await app.ready();
    for (const [url, headers] of [
      ['/items/1', {}],
      ['/items/2', {}],
      ['/items/3', { 'x-refuse': '1' }],
      ['/nowhere', {}],
      ['/numbers/7', {}],
      ['/numbers/seven', {}],
    ] as const) {
      const response = await app.inject({ method: 'GET', url, headers });
      if (url === '/numbers/7') expect(response.json()).toEqual({ ok: true, n: 7 });
    }
    await app.close();
    expect(seen).toEqual([
      'GET /items/:id 200',
      'GET /items/:id 200',
      'GET /items/:id 503',
      'GET (unmatched) 404',
      'GET /numbers/:n 200',
      'GET /numbers/:n 400',
    ]);
    const document = await metrics.requests(1);
    expect(document.routes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ method: 'GET', route: '/items/:id', status: 200, count: 2 }),
        expect.objectContaining({ method: 'GET', route: '/items/:id', status: 503, count: 1 }),
        expect.objectContaining({ method: 'GET', route: '(unmatched)', status: 404, count: 1 }),
      ]),
    );
  });
});
