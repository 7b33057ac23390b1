/**
 * Two in-process reference servers with the matchmaking app, over a Redis of their own and one
 * SQLite file, for the HTTP and realtime suites; and signed-in players on them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { uniquePrefix } from '../../support/redis.js';
import { type RedisSingleHandle, startSingle } from '../../support/topology.js';
import { type Running, startServer } from '../server/harness.js';

export interface TwoServers {
  redis: RedisSingleHandle;
  a: Running;
  b: Running;
  stop(): Promise<void>;
}

export async function startTwoServers(
  name: string,
  adminToken: string,
  env: Record<string, string>,
): Promise<TwoServers> {
  const redis = await startSingle();
  const dir = mkdtempSync(join(tmpdir(), `plexus-${name}-`));
  const shared = {
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: uniquePrefix(name),
    DATABASE_URL: `sqlite:${join(dir, 'mm.db')}`,
    PLEXUS_ADMIN_TOKEN: adminToken,
    PLEXUS_APPS: 'matchmaking',
    MATCHMAKING_PAIR_INTERVAL_MS: '20',
    MATCHMAKING_REAP_INTERVAL_MS: '100',
    ...env,
  };
  const a = await startServer({ env: shared });
  const b = await startServer({ env: shared });
  return {
    redis,
    a,
    b,
    async stop() {
      await Promise.all([a.stop(), b.stop()]);
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Creates a player account on `server` and signs it in there: its session cookie and user id. */
export async function signInPlayer(server: Running, login: string): Promise<{ cookie: string; id: string }> {
  await server.plexus.auth.accounts.create({ login, password: 'correct horse battery', roles: ['player'] });
  const response = await fetch(`${server.url}/api/1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login, password: 'correct horse battery' }),
  });
  expect(response.status).toBe(200);
  const id = ((await response.json()) as { user: { id: string } }).user.id;
  return { cookie: response.headers.get('set-cookie')!.split(';')[0]!, id };
}
