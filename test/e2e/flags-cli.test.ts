/**
 * `plexus config` and `plexus flags` from source against a temp SQLite file and the shared Redis:
 * values and flags written, read back, listed; a stale --if-version and a bad definition fail with
 * their codes and exit 1, as does an unusable runtime setting; enable/disable are audited as the command-line user.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlexus } from '../../src/index.js';
import { TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { runCli } from './cli-process.js';

let dir: string;
let env: Record<string, string>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'plexus-flags-cli-'));
  env = {
    REDIS_MODE: 'single',
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: uniquePrefix('flags-cli'),
    DATABASE_URL: `sqlite:${join(dir, 'plexus.db')}`,
    USER: 'ops',
  };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function plexus(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const run = runCli(args, { cwd: dir, env });
  const { code } = await run.exited;
  return { code, out: run.stdout.join('\n'), err: run.stderr.join('\n') };
}

describe('plexus config and plexus flags', () => {
  it('sets, gets and lists values; a stale version fails', async () => {
    const set = await plexus('config', 'set', 'app', 'title', '"Plexus"');
    expect(set.code).toBe(0);
    expect(JSON.parse(set.out)).toMatchObject({
      collection: 'app',
      key: 'title',
      value: 'Plexus',
      version: 1,
      updatedBy: 'cli:ops',
    });
    const get = await plexus('config', 'get', 'app', 'title');
    expect(JSON.parse(get.out)).toMatchObject({ value: 'Plexus', version: 1 });
    const stale = await plexus('config', 'set', 'app', 'title', '"Other"', '--if-version', '5');
    expect(stale.code).toBe(1);
    expect(stale.err).toMatch(/SETTINGS_VERSION_CONFLICT/);
    const list = await plexus('config', 'list', 'app');
    expect(JSON.parse(list.out)).toMatchObject({ items: [{ key: 'title', value: 'Plexus' }], next: null });
    const missing = await plexus('config', 'get', 'app', 'nope');
    expect(missing.code).toBe(1);
    // Plexus's runtime settings are checked as on a server: a usable value only.
    expect(JSON.parse((await plexus('config', 'set', 'plexus', 'login.perAccount', '3')).out)).toMatchObject({
      value: 3,
      version: 1,
    });
    const unusable = await plexus('config', 'set', 'plexus', 'login.perAccount', '0');
    expect(unusable.code).toBe(1);
    expect(unusable.err).toMatch(/SETTINGS_INVALID/);
    expect(JSON.parse((await plexus('config', 'get', 'plexus', 'login.perAccount')).out)).toMatchObject({
      value: 3,
      version: 1,
    });
  }, 180_000);

  it('sets, enables, disables and lists flags, audited as the command-line user', async () => {
    expect((await plexus('flags', 'set', 'new-ui', '{"enabled":false,"rollout":10}')).code).toBe(0);
    expect(JSON.parse((await plexus('flags', 'enable', 'new-ui')).out)).toMatchObject({
      definition: { enabled: true, rollout: 10 },
      version: 2,
    });
    expect(JSON.parse((await plexus('flags', 'disable', 'new-ui')).out)).toMatchObject({
      definition: { enabled: false },
      version: 3,
    });
    const bad = await plexus(
      'flags',
      'set',
      'new-ui',
      '{"enabled":true,"variants":[{"name":"a","weight":90}]}',
    );
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/FLAG_INVALID_WEIGHTS/);
    const list = await plexus('flags', 'list');
    expect(JSON.parse(list.out)).toMatchObject([{ name: 'new-ui', version: 3 }]);
    // A running instance reads what the commands wrote, with its audit trail.
    const instance = createPlexus({ env });
    await instance.start();
    try {
      const audit = await instance.flags.audit('new-ui');
      expect(audit.items.map((e) => [e.action, e.actor])).toEqual([
        ['update', 'cli:ops'],
        ['update', 'cli:ops'],
        ['create', 'cli:ops'],
      ]);
      expect((await instance.flags.evaluate('new-ui', { userId: 'u' })).reason).toBe('DISABLED');
    } finally {
      await instance.close();
    }
  }, 180_000);
});
