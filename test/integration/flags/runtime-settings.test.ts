/**
 * Plexus's runtime settings (src/settings/runtime.ts): the login rate limits read from
 * plexus.settings (collection `plexus`) with the environment as the default. Two reference servers
 * on one Redis prefix and one SQLite file: a limit changed through one instance's admin API
 * changes how the other answers logins at once, without a restart; deleting it goes back to the
 * environment's value; bad values and unknown keys are refused with SETTINGS_INVALID and nothing
 * is stored.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniquePrefix } from '../../support/redis.js';
import { Browser, errorCodeOf, FAST_HASHING, redisEnv } from '../../support/sessions-helpers.js';
import { type Running, startServer } from '../server/harness.js';
import { until } from './helpers.js';

const TOKEN = 'runtime-settings-admin-token-0123';
const auth = { authorization: `Bearer ${TOKEN}` };
let dir: string;
const servers: Running[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'plexus-runtime-settings-'));
  const env = {
    ...redisEnv(uniquePrefix('runtime-settings')),
    DATABASE_URL: `sqlite:${join(dir, 'plexus.db')}`,
    PLEXUS_ADMIN_TOKEN: TOKEN,
    PLEXUS_APPS: '',
    LOGIN_LIMIT_PER_ACCOUNT: '3',
    ...FAST_HASHING,
  };
  // One at a time: the first creates the tables.
  for (let i = 0; i < 2; i++) servers.push(await startServer({ env }));
}, 60_000);

afterAll(async () => {
  for (const server of servers) await server.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** Failed logins for `login` on `server` until one is refused; resolves to the statuses. */
async function failUntilLimited(server: Running, login: string, most: number): Promise<number[]> {
  const browser = new Browser(server.url);
  const statuses: number[] = [];
  for (let i = 0; i < most; i++) {
    const result = await browser.login(login, 'wrong password');
    statuses.push(result.status);
    if (result.status === 429) {
      expect(errorCodeOf(result)).toBe('LOGIN_RATE_LIMITED');
      break;
    }
  }
  return statuses;
}

const admin = (server: Running) => new Browser(server.url);

/**
 * Waits until `server` reads `value` (null: none) for the key. The write returns once every
 * instance has been sent the invalidation; this waits for the other one to have applied it.
 */
function seenOn(server: Running, key: string, value: number | null): Promise<void> {
  return until(`${key} = ${value} on ${server.url}`, async () => {
    const entry = await server.plexus.settings.get('plexus', key);
    return (entry?.value ?? null) === value;
  });
}

describe('login limits as runtime settings', () => {
  // First: every test logs in from 127.0.0.1, and this one needs that address's counter unused.
  it('the address limit and the window are runtime settings too', async () => {
    const [a, b] = servers as [Running, Running];
    await a.plexus.settings.set('plexus', 'login.perAddress', 2);
    await a.plexus.settings.set('plexus', 'login.windowSeconds', 1);
    await seenOn(b, 'login.perAddress', 2);
    await seenOn(b, 'login.windowSeconds', 1);
    try {
      // Two different accounts from the same address: the third attempt is refused by address.
      const browser = new Browser(b.url);
      expect((await browser.login('addr-1@example.com', 'x')).status).toBe(401);
      expect((await browser.login('addr-2@example.com', 'x')).status).toBe(401);
      const refused = await browser.login('addr-3@example.com', 'x');
      expect([refused.status, errorCodeOf(refused)]).toEqual([429, 'LOGIN_RATE_LIMITED']);
      // The window is one second: the refusal says so, and after it the address may try again.
      expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(1);
      const deadline = Date.now() + 10_000;
      let next = await browser.login('addr-3@example.com', 'x');
      while (next.status === 429 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        next = await browser.login('addr-3@example.com', 'x');
      }
      expect(next.status).toBe(401);
    } finally {
      await a.plexus.settings.delete('plexus', 'login.perAddress');
      await a.plexus.settings.delete('plexus', 'login.windowSeconds');
    }
  });

  it('default from the environment while nothing is stored', async () => {
    const [, b] = servers as [Running, Running];
    expect(await failUntilLimited(b, 'env-default@example.com', 10)).toEqual([401, 401, 401, 429]);
  });

  it('a limit changed through one instance applies on the other at once, and deleting it restores the default', async () => {
    const [a, b] = servers as [Running, Running];
    const put = await admin(a).request(
      'PUT',
      '/api/1/admin/config/plexus/login.perAccount',
      { value: 6 },
      auth,
    );
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ collection: 'plexus', key: 'login.perAccount', value: 6, version: 1 });
    await seenOn(b, 'login.perAccount', 6);
    expect(await failUntilLimited(b, 'raised@example.com', 10)).toEqual([401, 401, 401, 401, 401, 401, 429]);

    // Lowered below what an account has already used: refused at once.
    const lower = await admin(a).request(
      'PUT',
      '/api/1/admin/config/plexus/login.perAccount',
      { value: 2 },
      { ...auth, 'if-match': '"1"' },
    );
    expect(lower.status).toBe(200);
    await seenOn(b, 'login.perAccount', 2);
    expect(await failUntilLimited(b, 'raised@example.com', 1)).toEqual([429]);
    expect(await failUntilLimited(b, 'lowered@example.com', 10)).toEqual([401, 401, 429]);

    // Raised again on B: the account that was refused may try again until the new limit.
    const raised = await admin(b).request(
      'PUT',
      '/api/1/admin/config/plexus/login.perAccount',
      { value: 4 },
      auth,
    );
    expect(raised.status).toBe(200);
    await seenOn(a, 'login.perAccount', 4);
    expect(await failUntilLimited(a, 'lowered@example.com', 10)).toEqual([401, 401, 429]);

    // Deleted: the environment's 3 again, on both.
    const deleted = await admin(a).request(
      'DELETE',
      '/api/1/admin/config/plexus/login.perAccount',
      undefined,
      auth,
    );
    expect(deleted.status).toBe(200);
    await seenOn(b, 'login.perAccount', null);
    expect(await failUntilLimited(b, 'after-delete@example.com', 10)).toEqual([401, 401, 401, 429]);
  });

  it('refuses unknown keys and values out of range or of the wrong type, storing nothing', async () => {
    const [a] = servers as [Running, Running];
    const cases: [string, unknown][] = [
      ['login.perAccount', 0],
      ['login.perAccount', 2.5],
      ['login.perAccount', '5'],
      ['login.perAccount', null],
      ['login.windowSeconds', 86_401],
      ['login.perAddress', { n: 5 }],
      ['qr.size', 300],
    ];
    for (const [key, value] of cases) {
      const result = await admin(a).request('PUT', `/api/1/admin/config/plexus/${key}`, { value }, auth);
      expect([key, result.status, errorCodeOf(result)]).toEqual([key, 400, 'SETTINGS_INVALID']);
      expect(await a.plexus.settings.get('plexus', key)).toBeNull();
    }
    await expect(a.plexus.settings.set('plexus', 'login.perAccount', -1)).rejects.toMatchObject({
      code: 'SETTINGS_INVALID',
    });
  });
});
