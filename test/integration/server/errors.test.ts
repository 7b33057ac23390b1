/**
 * The JSON error contract over real HTTP: every kind of bad input gets a 4xx with a stable code,
 * server faults get 500 without details, and nothing else ever answers in another shape.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlexusError, ValidationError } from '../../../src/errors.js';
import type { RoutePlugin } from '../../../src/server/context.js';
import { errorResponses, noQuery, strictObject } from '../../../src/server/routes/schemas.js';
import { errorCode, type Running, request, startServer } from './harness.js';

const echoBody = strictObject({
  name: { type: 'string', maxLength: 50 },
  count: { type: 'integer', minimum: 0 },
});

const testRoutes: RoutePlugin = (app) => {
  app.post(
    '/test/echo',
    { schema: { querystring: noQuery, body: echoBody, response: { 200: echoBody, ...errorResponses } } },
    async (request) => request.body,
  );
  app.get(
    '/test/page',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { n: { type: 'integer', minimum: 1 } },
        },
        response: { 200: strictObject({ n: { type: 'integer' } }) },
      },
    },
    async (request) => ({ n: (request.query as { n?: number }).n ?? 1 }),
  );
  app.get('/test/crash', async () => {
    throw new Error('secret internal detail at /srv/app.js:12');
  });
  app.get('/test/invalid-argument', async () => {
    throw new ValidationError('limit must be positive');
  });
  app.get('/test/unmapped', async () => {
    throw new PlexusError('SOMETHING_UNLISTED', 'internal thing');
  });
  app.get('/test/db-refused', async () => {
    throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' });
  });
};

let running: Running;

beforeAll(async () => {
  running = await startServer({ env: { PLEXUS_BODY_LIMIT: '2048' }, extraRoutes: [testRoutes] });
});
afterAll(async () => {
  await running.stop();
});

function post(body: string, contentType = 'application/json') {
  return request(`${running.url}/test/echo`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
}

describe('request bodies', () => {
  it('accepts a valid body', async () => {
    const response = await post(JSON.stringify({ name: 'ada', count: 3 }));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ name: 'ada', count: 3 });
  });

  it('refuses malformed and empty JSON with 400 INVALID_JSON', async () => {
    for (const body of ['{"name": "ada",', '{name: 1}', "{'a':1}", '']) {
      const response = await post(body);
      expect(response.status, body).toBe(400);
      expect(errorCode(response)).toBe('INVALID_JSON');
    }
  });

  it('refuses wrong types without coercing them', async () => {
    const valid = { name: 'ada', count: 1 };
    const cases: [unknown, string][] = [
      [{ ...valid, count: '5' }, 'body.count must be integer'],
      [{ ...valid, name: 12 }, 'body.name must be string'],
      [{ ...valid, count: 1.5 }, 'body.count must be integer'],
      [{ ...valid, count: -1 }, 'body.count must be >= 0'],
      [{ ...valid, name: null }, 'body.name must be string'],
      [{ ...valid, count: true }, 'body.count must be integer'],
      [{ name: 'ada' }, "body must have required property 'count'"],
      [[valid], 'body must be object'],
    ];
    for (const [body, message] of cases) {
      const response = await post(JSON.stringify(body));
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(errorCode(response)).toBe('VALIDATION_FAILED');
      expect((response.body.error as { message: string }).message).toBe(message);
    }
  });

  it('refuses unknown fields and names them', async () => {
    const response = await post(JSON.stringify({ name: 'ada', count: 1, admin: true }));
    expect(response.status).toBe(400);
    expect(errorCode(response)).toBe('VALIDATION_FAILED');
    expect((response.body.error as { message: string }).message).toContain('"admin"');
  });

  it('refuses bodies over PLEXUS_BODY_LIMIT with 413, with or without Content-Length', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(4000) });
    const sized = await post(big);
    expect(sized.status).toBe(413);
    expect(errorCode(sized)).toBe('BODY_TOO_LARGE');

    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 8; i++) controller.enqueue(new TextEncoder().encode(' '.repeat(1000)));
        controller.close();
      },
    });
    const chunked = await request(`${running.url}/test/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chunks,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(errorCode(chunked)).toBe('BODY_TOO_LARGE');
  });

  it('refuses unsupported media types with 415 and non-JSON text with 400', async () => {
    const xml = await post('<a/>', 'application/xml');
    expect(xml.status).toBe(415);
    expect(errorCode(xml)).toBe('UNSUPPORTED_MEDIA_TYPE');
    const text = await post('hello', 'text/plain');
    expect(text.status).toBe(400);
    expect(errorCode(text)).toBe('VALIDATION_FAILED');
  });
});

describe('query strings and paths', () => {
  it('coerces query parameters to their declared types, and refuses what does not fit', async () => {
    expect((await request(`${running.url}/test/page?n=5`)).body).toEqual({ n: 5 });
    for (const query of ['n=abc', 'n=0', 'other=1']) {
      const response = await request(`${running.url}/test/page?${query}`);
      expect(response.status, query).toBe(400);
      expect(errorCode(response)).toBe('VALIDATION_FAILED');
    }
  });

  it('refuses unknown query parameters on the built-in routes', async () => {
    for (const path of ['/api/1/status', '/api/status', '/api/1/health', '/api/1/health/cache']) {
      const response = await request(`${running.url}${path}?verbose=1`);
      expect(response.status, path).toBe(400);
      expect(errorCode(response)).toBe('VALIDATION_FAILED');
    }
  });

  it('answers unknown routes and methods with 404 NOT_FOUND', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['POST', '/api/1/status'],
      ['DELETE', '/api/1/health'],
    ] as const) {
      const response = await request(`${running.url}${path}`, { method });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(errorCode(response)).toBe('NOT_FOUND');
    }
  });

  it('answers a malformed URL and malformed HTTP with a JSON 400', async () => {
    const badUrl = await request(`${running.url}/api/1/%E0%A4%A`);
    expect(badUrl.status).toBe(400);
    expect(errorCode(badUrl)).toBe('BAD_REQUEST');

    const raw = await rawHttp(running.url, 'GET /api/1/status HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(raw).toContain('"code":"BAD_REQUEST"');
  });
});

describe('errors thrown by handlers', () => {
  it('hides unexpected errors behind 500 INTERNAL_ERROR without stack or message', async () => {
    const response = await request(`${running.url}/test/crash`);
    expect(response.status).toBe(500);
    expect(errorCode(response)).toBe('INTERNAL_ERROR');
    expect(response.text).not.toContain('secret');
    expect(response.text).not.toContain('.js');
  });

  it('maps PlexusError codes through the status table, unknown codes to 500', async () => {
    const invalid = await request(`${running.url}/test/invalid-argument`);
    expect(invalid.status).toBe(400);
    expect(errorCode(invalid)).toBe('PLEXUS_INVALID_ARGUMENT');
    expect((invalid.body.error as { message: string }).message).toBe('limit must be positive');

    const unmapped = await request(`${running.url}/test/unmapped`);
    expect(unmapped.status).toBe(500);
    expect(errorCode(unmapped)).toBe('INTERNAL_ERROR');
  });

  it('answers an unreachable database with 503 DB_UNAVAILABLE and no address', async () => {
    const response = await request(`${running.url}/test/db-refused`);
    expect(response.status).toBe(503);
    expect(errorCode(response)).toBe('DB_UNAVAILABLE');
    expect(response.headers.get('retry-after')).toBe('1');
    expect(response.text).not.toContain('10.0.0.5');
  });
});

function rawHttp(url: string, payload: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.write(payload));
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString();
    });
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
  });
}
