/**
 * `plexus warm-cache`: the command's logic on a Plexus instance with registered targets (output,
 * exit codes, values in Redis, interruption), and the real CLI process for refusals and listing.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runWarmCache } from '../../src/cli/commands/warm-cache.js';
import { createPlexus, type Plexus } from '../../src/index.js';
import { TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
let plexus: Plexus | undefined;

afterEach(async () => {
  await plexus?.close();
  plexus = undefined;
});

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      out: { isTTY: false, write: (t: string) => out.push(t) },
      err: { write: (t: string) => err.push(t) },
    },
  };
}

async function started(): Promise<Plexus> {
  plexus = createPlexus({
    env: {
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: uniquePrefix('warm'),
      DATABASE_URL: 'sqlite::memory:',
    },
  });
  await plexus.start();
  const ids = Array.from({ length: 120 }, (_, i) => `s${i}`);
  plexus.cache.warmTargets.register({
    name: 'test-students',
    description: 'one value per student',
    namespace: 'test/students',
    keys: async function* () {
      yield* ids;
    },
    count: () => ids.length,
    load: async (id) => ({ id, png: Buffer.from(id).toString('base64') }),
  });
  plexus.cache.warmTargets.register({
    name: 'flaky',
    namespace: 'flaky',
    keys: () => ['a', 'b', 'c', 'd'],
    load: (key) => {
      if (key === 'b' || key === 'd') throw new Error(`cannot build ${key}`);
      return key;
    },
  });
  return plexus;
}

describe('plexus warm-cache on a Plexus instance', () => {
  it('warms every target into Redis with progress lines and a summary', async () => {
    const p = await started();
    const { out, err, io } = capture();
    expect(await runWarmCache(p, ['test-students'], {}, io)).toBe(0);
    expect(err).toEqual([]);
    expect(out[0]).toMatch(/^test-students +0\.0% {2}0\/120/);
    expect(out.at(-1)).toMatch(
      /^test-students: warmed 120 of 120 in [\d.]+s \([\d,]+\/s\): 120 loaded, 0 already cached, 0 failed\n$/,
    );
    const stored = await p.redis.store.getBuffer(p.redis.keys.cache.entry('test/students', 's7'));
    expect(stored).not.toBeNull();
    expect(await p.cache.namespace('test').namespace('students').get('s7')).toEqual({
      id: 's7',
      png: 'czc=',
    });

    const again = capture();
    expect(await runWarmCache(p, ['test-students'], {}, again.io)).toBe(0);
    expect(again.out.at(-1)).toMatch(/0 loaded, 120 already cached/);
    const refresh = capture();
    expect(await runWarmCache(p, ['test-students'], { refresh: true }, refresh.io)).toBe(0);
    expect(refresh.out.at(-1)).toMatch(/120 loaded, 0 already cached/);
  });

  it('reports failing keys and exits 1; unknown targets exit 78', async () => {
    const p = await started();
    const flaky = capture();
    expect(await runWarmCache(p, ['flaky', 'test-students'], {}, flaky.io)).toBe(1);
    expect(flaky.out.filter((l) => l.includes(': warmed')).length).toBe(2);
    expect(flaky.err).toEqual(['  flaky b: cannot build b\n', '  flaky d: cannot build d\n']);
    const unknown = capture();
    expect(await runWarmCache(p, ['test-students', 'teachers'], {}, unknown.io)).toBe(78);
    expect(unknown.err.join('')).toMatch(
      /unknown warm target "teachers"; registered: .*flaky.*test-students/,
    );
    const list = capture();
    expect(await runWarmCache(p, [], { list: true }, list.io)).toBe(0);
    // Other modules (the QR app) register targets of their own.
    expect(list.out.join('')).toMatch(/^flaky +namespace flaky$/m);
    expect(list.out.join('')).toMatch(/^test-students +namespace test\/students {2}one value per student$/m);
  });

  it('stops between keys when interrupted', async () => {
    const p = await started();
    const controller = new AbortController();
    const { out, err, io } = capture();
    p.cache.warmTargets.register({
      name: 'slow',
      namespace: 'slow',
      keys: () => Array.from({ length: 1000 }, (_, i) => `k${i}`),
      load: async (key) => {
        if (key === 'k20') controller.abort();
        await new Promise((resolve) => setTimeout(resolve, 1));
        return key;
      },
    });
    expect(await runWarmCache(p, ['slow'], {}, { ...io, signal: controller.signal })).toBe(1);
    expect(out.at(-1)).toMatch(/^slow: interrupted after \d+ of 1,000/);
    expect(err.join('')).toContain('interrupted');
  });
});

describe('plexus warm-cache as a process', () => {
  function run(args: string[], env: Record<string, string>) {
    return spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'warm-cache', ...args], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: 'sqlite::memory:', ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });
  }

  it('refuses memory mode with exit 78', () => {
    const result = run([], {});
    expect(result.status).toBe(78);
    expect(result.stderr).toContain('no Redis is configured');
  });

  it('lists targets and refuses unknown ones', () => {
    const env = { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: uniquePrefix('warmcli') };
    const list = run(['--list'], env);
    expect(list.status, list.stderr).toBe(0);
    const unknown = run(['no-such-target'], env);
    expect(unknown.status).toBe(78);
    expect(unknown.stderr).toContain('unknown warm target "no-such-target"');
  });
});
