/**
 * The fast lane over real HTTP (a node:http server whose listener offers each request to the lane,
 * then to a stand-in for Fastify that answers `fallback`): which requests it takes, what it sends,
 * and what it counts. The reference server's routes through the lane are in
 * test/integration/server/fast-lane.test.ts.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type FastHandler, FastLane, jsonAnswer } from '../../src/server/fast-lane.js';
import { memoryMetrics } from '../support/metrics.js';

interface Reply {
  status: number;
  body: string;
  /** Raw header names and values as sent, in order. */
  headers: string[];
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function serve(lane: FastLane): Promise<string> {
  const server = createServer((request, response) => {
    if (lane.answer(request, response)) return;
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end('fallback');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** `path` as sent: a URL object would drop an empty query (`/hello?`). */
function send(
  base: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
) {
  const { hostname, port } = new URL(base);
  return new Promise<Reply>((resolve, reject) => {
    const init = { hostname, port, path, method: options.method ?? 'GET', headers: options.headers ?? {} };
    const req = httpRequest(init, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString(),
          headers: res.rawHeaders,
        }),
      );
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

function counter(): { ids: () => string; requestId: (request: IncomingMessage) => string } {
  let n = 0;
  return { ids: () => `id-${n}`, requestId: () => `id-${++n}` };
}

describe('FastLane', () => {
  const items: FastHandler = (_request, id) => (id === 'missing' ? undefined : jsonAnswer({ id }));

  it('answers exact and one-parameter paths with the request id first, and counts them under the route', async () => {
    const { metrics, seen } = memoryMetrics('lane');
    const ids = counter();
    const lane = new FastLane({ metrics, requestId: ids.requestId, requestIdHeader: true });
    lane.get('/hello', () => jsonAnswer({ ok: true }));
    lane.get('/items/:id.json', items);
    const url = await serve(lane);

    const hello = await send(url, '/hello');
    expect(hello.status).toBe(200);
    expect(hello.body).toBe('{"ok":true}');
    expect(hello.headers.slice(0, 6)).toEqual([
      'x-request-id',
      'id-1',
      'content-type',
      'application/json; charset=utf-8',
      'content-length',
      '11',
    ]);
    expect((await send(url, '/items/a-1.json')).body).toBe('{"id":"a-1"}');
    expect(lane.answered).toBe(2);
    expect(seen).toEqual(['GET /hello 200', 'GET /items/:id.json 200']);
    const document = await metrics.requests(1);
    expect(document.routes).toEqual(
      expect.arrayContaining([expect.objectContaining({ route: '/items/:id.json', status: 200, count: 1 })]),
    );
  });

  it('hands everything else to the server, untouched', async () => {
    const { metrics, seen } = memoryMetrics('lane');
    const lane = new FastLane({ metrics, requestId: counter().requestId, requestIdHeader: false });
    lane.get('/hello', () => jsonAnswer({ ok: true }));
    lane.get('/items/:id.json', items);
    lane.get('/broken', () => {
      throw new Error('a bug: Fastify serves it and reports it');
    });
    const url = await serve(lane);

    const handedOver = [
      send(url, '/hello', { method: 'HEAD' }),
      send(url, '/hello', { method: 'POST', body: '{}' }),
      send(url, '/hello?x=1'),
      send(url, '/hello?'),
      send(url, '/hello/'),
      send(url, '/HELLO'),
      send(url, '/hello', { headers: { 'content-length': '2' }, body: '{}' }),
      send(url, '/items/.json'),
      send(url, '/items/a%2Fb.json'),
      send(url, '/items/a/b.json'),
      send(url, '/items/a.jsonx'),
      send(url, '/items/missing.json'),
      send(url, '/broken'),
    ];
    for (const reply of await Promise.all(handedOver)) {
      if (reply.status !== 200) throw new Error(`status ${reply.status}`);
      // HEAD has no body.
      expect(['fallback', '']).toContain(reply.body);
    }
    expect(lane.answered).toBe(0);
    expect(seen).toEqual([]);

    lane.close();
    expect(lane.open).toBe(false);
    expect((await send(url, '/hello')).body).toBe('fallback');
  });

  it('sends no request id header unless asked, and still takes an id per answer', async () => {
    const { metrics } = memoryMetrics('lane');
    const ids = counter();
    const lane = new FastLane({ metrics, requestId: ids.requestId, requestIdHeader: false });
    lane.get('/hello', () => jsonAnswer({ ok: true }));
    const url = await serve(lane);
    const reply = await send(url, '/hello');
    expect(reply.headers).not.toContain('x-request-id');
    expect(ids.ids()).toBe('id-1');
  });

  it('refuses a path with two parameters or a wildcard', () => {
    const lane = new FastLane({
      metrics: memoryMetrics('lane').metrics,
      requestId: () => 'x',
      requestIdHeader: false,
    });
    expect(() => lane.get('/a/:x/:y', items)).toThrow(TypeError);
    expect(() => lane.get('/a/*', items)).toThrow(TypeError);
    expect(() => lane.get('/a/:x.png', items)).not.toThrow();
    expect(() => lane.get('/a/:x/*', items)).toThrow(TypeError);
  });
});
