/**
 * The user apps in examples/ run as users run them: plain `node examples/<name>/server.mjs`,
 * importing `plexus/...` through the package's exports map (the built copy in dist/), two
 * instances each over one real Redis. They must keep working, or the examples have rotted.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { uniquePrefix } from '../support/redis.js';
import { type CliRun, runNode } from './cli-process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const running: CliRun[] = [];

beforeAll(() => {
  // `npm install` builds dist/ (the "prepare" script); the examples import the built package.
  if (!existsSync(`${ROOT}dist/src/index.js`)) throw new Error('dist/ is missing: run `npm run build`');
});

afterEach(async () => {
  await Promise.all(
    running.splice(0).map((run) => {
      run.child.kill('SIGTERM');
      return run.exited;
    }),
  );
});

async function example(name: string, env: Record<string, string>): Promise<string> {
  const run = runNode([`examples/${name}/server.mjs`], {
    cwd: ROOT,
    env: { PORT: '0', DATABASE_URL: 'sqlite::memory:', REDIS_URL: 'redis://127.0.0.1:6379', ...env },
  });
  running.push(run);
  const line = await run.waitFor(/example listening on http:\/\/\S+/, 30_000);
  return /http:\/\/\S+/.exec(line)![0];
}

async function json(url: string, init: RequestInit = {}) {
  const response = await fetch(url, init);
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe('examples/fastify: an existing Fastify app that registers plexusFastify', () => {
  it('keeps its own routes, adds Plexus routes, sessions and the QR app, and shares state across instances', async () => {
    const env = { REDIS_KEY_PREFIX: uniquePrefix('ex-fastify') };
    const [a, b] = await Promise.all([example('fastify', env), example('fastify', env)]);

    expect(await json(`${a}/hello`)).toMatchObject({ status: 200, body: { hello: 'world' } });
    const status = await json(`${a}/api/1/status`);
    expect(status.body).toMatchObject({ status: 'online', redis: { state: 'ready', topology: 'single' } });
    const health = await json(`${b}/api/1/health`);
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', checks: { apps: { qr: { status: 'ok' } } } });

    // The app's own route on one instance, read back on the other.
    const put = await json(`${a}/notice`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'doors open at nine' }),
    });
    expect(put.status).toBe(200);
    expect((await json(`${b}/notice`)).body).toMatchObject({ text: 'doors open at nine' });

    // A route of the app that requires a session answers 401 with the stable code, not 500.
    const whoami = await json(`${a}/whoami`);
    expect(whoami.status).toBe(401);
    expect(whoami.body).toMatchObject({ code: 'AUTH_REQUIRED' });
    // Plexus's routes keep their JSON error contract inside the user's app.
    const qr = await json(`${b}/api/1/qr/students/nobody`);
    expect(qr).toMatchObject({ status: 404, body: { error: { code: 'QR_NOT_FOUND' } } });
    const login = await json(`${a}/api/1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'x', password: 'y', extra: true }),
    });
    expect(login).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
  });
});

describe('examples/express: an existing Express app with the Plexus session Store', () => {
  it('keeps one visitor session across instances and serves the status and health documents', async () => {
    const env = { REDIS_KEY_PREFIX: uniquePrefix('ex-express'), SESSION_SECRET: 's'.repeat(40) };
    const [a, b] = await Promise.all([example('express', env), example('express', env)]);

    const first = await json(`${a}/visits`, { method: 'POST' });
    expect(first.body.visits).toBe(1);
    const cookie = first.headers.get('set-cookie')!.split(';')[0]!;
    const second = await json(`${b}/visits`, { method: 'POST', headers: { cookie } });
    const third = await json(`${a}/visits`, { method: 'POST', headers: { cookie } });
    expect([second.body.visits, third.body.visits]).toEqual([2, 3]);
    expect(second.body.instance).not.toBe(first.body.instance);

    expect((await json(`${a}/status`)).body).toMatchObject({ status: 'online', redis: { state: 'ready' } });
    const health = await json(`${b}/health`);
    expect(health).toMatchObject({ status: 200, body: { status: 'ok' } });
  });
});
