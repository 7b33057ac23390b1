/**
 * Cluster-wide single-flight when the lock holder dies: a real child process takes the lock and is
 * SIGKILLed mid-load; the instances waiting in this process take over once the lock expires, and
 * exactly one of them loads.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { type Cache, createCache } from '../../src/cache/index.js';
import { RedisLayer } from '../../src/redis/layer.js';
import { singleConfig, TEST_REDIS_URL } from '../support/redis.js';

const HOLDER = fileURLToPath(new URL('../support/cache-lock-holder.ts', import.meta.url));
const LOCK_TTL_MS = 600;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let child: ChildProcess | undefined;
const closing: (() => Promise<void>)[] = [];

afterEach(async () => {
  if (child?.exitCode === null) child.kill('SIGKILL');
  await Promise.all(closing.splice(0).map((close) => close()));
});

function startHolder(prefix: string, key: string): Promise<ChildProcess> {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', HOLDER, TEST_REDIS_URL, prefix, key, String(LOCK_TTL_MS)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  child = proc;
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('loading')) resolve(proc);
    });
    proc.once('exit', (code) => reject(new Error(`lock holder exited early (${code})`)));
  });
}

async function caches(count: number, config = singleConfig()): Promise<Cache[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const layer = new RedisLayer(config);
      await layer.connect();
      const cache = createCache({ redis: layer, config: { lockTtlMs: LOCK_TTL_MS }, instanceId: `p${i}` });
      await cache.start();
      closing.push(async () => {
        await cache.close();
        await layer.close();
      });
      return cache;
    }),
  );
}

it('another instance loads once the killed holder’s lock expires', async () => {
  const config = singleConfig();
  const [a, b, c] = await caches(3, config);
  const holder = await startHolder(config.keyPrefix, 'report');

  let calls = 0;
  let loadedAt = 0;
  const loader = async () => {
    calls++;
    loadedAt = performance.now();
    await sleep(20);
    return 'built here';
  };
  const results = Promise.all(
    Array.from({ length: 60 }, (_, i) => [a!, b!, c!][i % 3]!.getOrSet('report', loader, { lock: true })),
  );
  // Longer than the lock TTL: the live holder keeps renewing it, so nobody here may load yet.
  await sleep(LOCK_TTL_MS * 2);
  expect(calls).toBe(0);

  holder.kill('SIGKILL');
  const killedAt = performance.now();
  expect(await results).toEqual(Array.from({ length: 60 }, () => 'built here'));
  expect(calls).toBe(1);
  // Taken over within the lock TTL plus polling, not after the 15 s wait limit.
  expect(loadedAt - killedAt).toBeLessThan(LOCK_TTL_MS + 1500);
  expect(await b!.get('report')).toBe('built here');
});
