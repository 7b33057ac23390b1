/**
 * PostgreSQL unreachable under reads (through a TCP proxy the test stops: the shared database
 * keeps running): last known values and flags keep being served past their TTL (stale-if-error,
 * reported in health), nothing hangs, writes are refused with SETTINGS_UNAVAILABLE (503) and
 * change nothing; once the database is back, writes work and every instance reads the new value.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plexus } from '../../../src/index.js';
import { STATUS_BY_CODE } from '../../../src/server/http-errors.js';
import { TcpProxy } from '../../support/stoppable-proxy.js';
import { TEST_DATABASE_URL } from '../db/fixtures.js';
import { type Cluster, sleep, startInstances } from './helpers.js';

const TTL_MS = 300;
let proxy: TcpProxy;
let cluster: Cluster;
let a: Plexus;
let b: Plexus;

beforeAll(async () => {
  const target = new URL(TEST_DATABASE_URL);
  proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
  target.port = String(proxy.port);
  cluster = await startInstances(2, 'postgres', {
    DATABASE_URL: target.toString(),
    SETTINGS_TTL_MS: String(TTL_MS),
    DATABASE_CONNECT_TIMEOUT_MS: '1000',
  });
  [a, b] = cluster.instances as [Plexus, Plexus];
}, 60_000);
afterAll(async () => {
  await proxy?.start();
  await cluster?.close();
  await proxy?.destroy();
});

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await run();
  return { value, ms: performance.now() - started };
}

describe('database unreachable', () => {
  it('serves last known values, refuses writes with 503, and recovers', async () => {
    await a.settings.set('app', 'motd', 'before');
    await a.flags.put('outage', { enabled: true });
    for (const p of [a, b]) {
      expect((await p.settings.get('app', 'motd'))?.value).toBe('before');
      expect((await p.flags.evaluate('outage', { userId: 'u' })).enabled).toBe(true);
    }

    await proxy.stop();
    await sleep(TTL_MS * 2);
    for (let i = 0; i < 5; i++) {
      for (const p of [a, b]) {
        const read = await timed(() => p.settings.get('app', 'motd'));
        expect(read.value?.value).toBe('before');
        expect(read.ms).toBeLessThan(2000);
        expect((await p.flags.evaluate('outage', { userId: 'u' })).enabled).toBe(true);
      }
      await sleep(TTL_MS / 2);
    }
    // Once an entry went past its TTL and the database failed, health says so.
    const health = a.settings.health();
    expect(health.databaseReadable).toBe(false);
    expect(health.staleServed).toBeGreaterThan(0);
    expect(health.lastError).toMatch(/cannot be read/);

    // Nothing known to serve: a clear error, quickly.
    const unknown = await timed(() =>
      a.settings.get('app', 'never-read').catch((e: { code: string }) => e.code),
    );
    expect(unknown.value).toBe('SETTINGS_UNAVAILABLE');
    expect(unknown.ms).toBeLessThan(3000);

    const write = await timed(() =>
      b.settings.set('app', 'motd', 'during').catch((e: { code: string }) => e.code),
    );
    expect(write.value).toBe('SETTINGS_UNAVAILABLE');
    expect(STATUS_BY_CODE.SETTINGS_UNAVAILABLE).toBe(503);
    expect(write.ms).toBeLessThan(3000);
    await expect(b.flags.put('outage', { enabled: false })).rejects.toMatchObject({
      code: 'SETTINGS_UNAVAILABLE',
    });
    expect((await a.settings.get('app', 'motd'))?.value).toBe('before');

    await proxy.start();
    let written = false;
    const deadline = Date.now() + 15_000;
    while (!written) {
      written = await b.settings.set('app', 'motd', 'after').then(
        () => true,
        () => false,
      );
      if (!written && Date.now() > deadline)
        throw new Error('writes still refused after the database returned');
      if (!written) await sleep(100);
    }
    for (const p of [a, b]) expect((await p.settings.get('app', 'motd'))?.value).toBe('after');
    await b.flags.put('outage', { enabled: false });
    for (const p of [a, b]) expect((await p.flags.evaluate('outage', { userId: 'u' })).enabled).toBe(false);
    await sleep(TTL_MS * 2);
    await a.settings.get('app', 'motd');
    expect(a.settings.health().databaseReadable).toBe(true);
  }, 60_000);
});
