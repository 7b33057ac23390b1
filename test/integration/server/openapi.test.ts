/**
 * The OpenAPI document: valid OpenAPI 3.1 (checked by a real validator), and it lists every route
 * the reference server serves, with the installed applications' routes among them.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import type { FastifyInstance } from 'fastify';
import type { OpenAPIV3_1 } from 'openapi-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledApps } from '../../../src/apps/index.js';
import { createPlexus } from '../../../src/index.js';
import { buildApp } from '../../../src/server/index.js';

let app: FastifyInstance;
const served: { method: string; url: string; hidden: boolean }[] = [];

beforeAll(async () => {
  const plexus = createPlexus({ env: { DATABASE_URL: 'sqlite::memory:' }, apps: bundledApps });
  await plexus.start();
  app = buildApp(plexus).app;
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const hidden = (route.schema as { hide?: boolean } | undefined)?.hide === true;
    for (const method of methods) served.push({ method: method.toLowerCase(), url: route.url, hidden });
  });
  app.addHook('onClose', () => plexus.close());
  await app.ready();
});
afterAll(async () => {
  await app.close();
});

describe('GET /api/1/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/1/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json() as OpenAPIV3_1.Document;
    expect(document.openapi).toBe('3.1.0');
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();
  });

  it('covers every route, applications included', async () => {
    const document = (
      await app.inject({ method: 'GET', url: '/api/1/openapi.json' })
    ).json() as OpenAPIV3_1.Document;
    const documented = new Set<string>();
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      for (const method of Object.keys(item ?? {})) documented.add(`${method} ${path}`);
    }
    // Fastify's `:id` is OpenAPI's `{id}`; HEAD routes are Fastify's automatic twins of GETs.
    const expected = served
      .filter((r) => !r.hidden && r.method !== 'head')
      .map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`);
    expect(expected.length).toBeGreaterThan(30);
    expect(expected.filter((route) => !documented.has(route))).toEqual([]);
    expect(documented).toContain('get /api/1/qr/students/{id}');
    expect(documented).toContain('post /api/1/auth/login');
  });

  it('is rendered at /api/docs from the server itself', async () => {
    const page = await app.inject({ method: 'GET', url: '/api/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toMatch(/(src|href)="https?:\/\//);
    const asset = await app.inject({ method: 'GET', url: '/api/docs/static/swagger-ui-bundle.js' });
    expect(asset.statusCode).toBe(200);
    // The browser is told to load nothing from anywhere else.
    for (const response of [page, asset]) {
      const policy = String(response.headers['content-security-policy']);
      expect(policy).toMatch(/default-src 'self'/);
      expect(policy).not.toMatch(/https:|swagger\.io/);
    }
  });
});
