/**
 * Configuration values on three in-process instances over one Redis and one database, on both
 * engines: a write on one is read by the others as soon as it returns; stale versions lose;
 * the database is the source of truth; bad arguments are refused and nothing is stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plexus } from '../../../src/index.js';
import type { SettingsError } from '../../../src/settings/errors.js';
import { type Cluster, startInstances } from './helpers.js';

describe.each(['sqlite', 'postgres'] as const)('settings on %s', (engine) => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startInstances(3, engine);
  }, 60_000);
  afterAll(() => cluster?.close());

  it('reads back what another instance wrote, as soon as the write returns', async () => {
    const [a, b, c] = cluster.instances as [Plexus, Plexus, Plexus];
    expect(await b.settings.get('app', 'name')).toBeNull();
    expect(await c.settings.get('app', 'name')).toBeNull();
    // b and c now hold "nothing" in memory; the write must reach them before it returns.
    const written = await a.settings.set('app', 'name', 'Plexus', { by: 'test' });
    expect(written).toMatchObject({
      collection: 'app',
      key: 'name',
      value: 'Plexus',
      version: 1,
      updatedBy: 'test',
    });
    for (const p of [b, c])
      expect(p.settings.peek('app', 'name') ?? (await p.settings.get('app', 'name'))).toMatchObject({
        value: 'Plexus',
        version: 1,
      });
    const again = await b.settings.set('app', 'name', 'Plexus 2', { ifVersion: 1 });
    expect(again.version).toBe(2);
    expect((await a.settings.get('app', 'name'))?.value).toBe('Plexus 2');
    expect((await c.settings.get('app', 'name'))?.value).toBe('Plexus 2');
  });

  it('never goes back to an older version once an instance has seen a newer one', async () => {
    const [a, b, c] = cluster.instances as [Plexus, Plexus, Plexus];
    const v1 = await a.settings.set('app', 'rollback', 'one');
    await a.settings.set('app', 'rollback', 'two');
    expect((await b.settings.get('app', 'rollback'))?.version).toBe(2);
    // Redis hands out an older copy again, as a Cluster replica promoted before it received the
    // last write does: written here through c's cache, which also drops every instance's copy.
    await c.cache.namespace('settings').set('app/rollback', v1);
    await c.cache.awaitInvalidations(5000);
    // b has seen version 2: it does not serve version 1, and puts version 2 back everywhere.
    expect(await b.settings.get('app', 'rollback')).toMatchObject({ value: 'two', version: 2 });
    expect(await c.settings.get('app', 'rollback')).toMatchObject({ value: 'two', version: 2 });
    // An instance that had not seen version 2 takes what the tiers hold: it is version 2 again.
    expect(await a.settings.get('app', 'rollback')).toMatchObject({ value: 'two', version: 2 });
  });

  it('lets exactly one of several concurrent writers with the same version win', async () => {
    const [a] = cluster.instances;
    const base = await a!.settings.set('app', 'race', { n: 0 });
    // SQLite's driver is synchronous: two connections in one process writing at once block each
    // other's event loop, so there the writers share one instance (separate processes, the real
    // deployment, are covered by test/e2e/flags-processes.test.ts).
    const writers = engine === 'sqlite' ? [a!, a!, a!] : cluster.instances;
    const results = await Promise.allSettled(
      writers.flatMap((p, i) =>
        [0, 1, 2].map((j) =>
          p.settings.set('app', 'race', { n: i * 3 + j + 1 }, { ifVersion: base.version }),
        ),
      ),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(8);
    for (const r of lost) expect((r.reason as SettingsError).code).toBe('SETTINGS_VERSION_CONFLICT');
    const winner = (won[0] as PromiseFulfilledResult<{ value: unknown; version: number }>).value;
    for (const p of cluster.instances) {
      expect(await p.settings.get('app', 'race')).toMatchObject({
        value: winner.value,
        version: base.version + 1,
      });
    }
  });

  it('deletes everywhere, and a stale delete loses', async () => {
    const [a, b] = cluster.instances;
    const e = await a!.settings.set('app', 'gone', 1);
    expect((await b!.settings.get('app', 'gone'))?.value).toBe(1);
    await expect(b!.settings.delete('app', 'gone', { ifVersion: e.version + 5 })).rejects.toMatchObject({
      code: 'SETTINGS_VERSION_CONFLICT',
    });
    await b!.settings.delete('app', 'gone', { ifVersion: e.version });
    expect(await a!.settings.get('app', 'gone')).toBeNull();
    await expect(a!.settings.delete('app', 'gone')).rejects.toMatchObject({ code: 'SETTINGS_NOT_FOUND' });
  });

  it('refuses bad names, non-JSON and oversized values, storing nothing', async () => {
    const [a] = cluster.instances;
    const bad: [string, string, unknown, string][] = [
      ['App', 'k', 1, 'SETTINGS_INVALID'],
      ['app', '', 1, 'SETTINGS_INVALID'],
      ['app', 'k k', 1, 'SETTINGS_INVALID'],
      ['app', 'k', undefined, 'SETTINGS_INVALID'],
      ['app', 'k', Number.NaN, 'SETTINGS_INVALID'],
      ['app', 'k', new Date(), 'SETTINGS_INVALID'],
      ['app', 'k', 'x'.repeat(70_000), 'SETTINGS_VALUE_TOO_LARGE'],
    ];
    for (const [collection, key, value, code] of bad) {
      await expect(a!.settings.set(collection, key, value as never)).rejects.toMatchObject({ code });
    }
    expect(await a!.settings.get('app', 'k')).toBeNull();
    expect((await a!.settings.list('app')).items.map((e) => e.key)).not.toContain('k');
  });

  it('pages a collection with an opaque cursor', async () => {
    const [a] = cluster.instances;
    for (let i = 0; i < 5; i++) await a!.settings.set('pages', `k${i}`, i);
    const first = await a!.settings.list('pages', { limit: 2 });
    expect(first.items.map((e) => e.key)).toEqual(['k0', 'k1']);
    const second = await a!.settings.list('pages', { limit: 2, cursor: first.next! });
    expect(second.items.map((e) => e.key)).toEqual(['k2', 'k3']);
    const third = await a!.settings.list('pages', { limit: 2, cursor: second.next! });
    expect(third).toMatchObject({ items: [{ key: 'k4' }], next: null });
    await expect(a!.settings.list('pages', { cursor: 'nope' })).rejects.toMatchObject({
      code: 'SETTINGS_INVALID',
    });
  });

  it('runs change handlers on every instance (the refresh broadcast)', async () => {
    const seen: string[][] = cluster.instances.map(() => []);
    const offs = cluster.instances.map((p, i) =>
      p.settings.onChange(async (change) => {
        if (change.key !== 'banner') return;
        const entry = await p.settings.get(change.collection, change.key);
        seen[i]!.push(`${change.key}=${JSON.stringify(entry?.value)}@${change.version}`);
      }),
    );
    await cluster.instances[2]!.settings.set('app', 'banner', 'hello', { by: 'ops' });
    const deadline = Date.now() + 5000;
    while (seen.some((s) => s.length === 0) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    for (const s of seen) expect(s).toEqual(['banner="hello"@1']);
    for (const off of offs) off();
  });
});
