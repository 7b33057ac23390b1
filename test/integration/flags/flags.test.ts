/**
 * Feature flags on three in-process instances (one Redis, one database): a change on one is
 * evaluated by the others as soon as it returns; rollouts are sticky and within statistical
 * bounds over 100,000 user ids; targeting, variants, the kill switch; the audit trail pages with a
 * cursor; bad definitions are refused with stable codes and nothing stored; the REST routes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plexus } from '../../../src/index.js';
import { type Cluster, startInstances, until } from './helpers.js';

/** Another instance applies the invalidation a moment after the write returns (it was sent before). */
async function seen(
  p: Plexus,
  name: string,
  ctx: { userId?: string; roles?: string[] },
  expected: object,
): Promise<void> {
  await until(
    `${name} on ${p.instanceId}`,
    async () => {
      const r = p.flags.evaluateNow(name, ctx) ?? (await p.flags.evaluate(name, ctx));
      return Object.entries(expected).every(([k, v]) => (r as unknown as Record<string, unknown>)[k] === v);
    },
    1000,
  );
}

let cluster: Cluster;
let a: Plexus;
let b: Plexus;
let c: Plexus;

beforeAll(async () => {
  cluster = await startInstances(3, 'sqlite');
  [a, b, c] = cluster.instances as [Plexus, Plexus, Plexus];
}, 60_000);
afterAll(() => cluster?.close());

describe('feature flags across instances', () => {
  it('a flag flipped on one instance is seen by the others within a second of the write returning', async () => {
    await a.flags.put('new-ui', { enabled: false }, { by: 'alice' });
    for (const p of [b, c]) {
      await expect
        .poll(async () => (await p.flags.evaluate('new-ui', { userId: 'u1' })).enabled, {
          timeout: 1000,
          interval: 5,
        })
        .toBe(false);
    }
    // Held in memory once read while nothing changed it: answered without I/O.
    await b.flags.evaluate('new-ui', { userId: 'u1' });
    expect(b.flags.evaluateNow('new-ui', { userId: 'u1' })).toMatchObject({
      enabled: false,
      reason: 'DISABLED',
    });
    for (let i = 0; i < 20; i++) {
      const on = i % 2 === 0;
      const writer = cluster.instances[i % 3]!;
      await writer.flags.update('new-ui', (d) => ({ ...d, enabled: on }), { by: 'alice' });
      // The invalidation is published before the write returns; the others apply it on receipt.
      for (const p of cluster.instances) {
        await expect
          .poll(
            async () =>
              (
                p.flags.evaluateNow('new-ui', { userId: 'u1' }) ??
                (await p.flags.evaluate('new-ui', { userId: 'u1' }))
              ).enabled,
            { timeout: 1000, interval: 5 },
          )
          .toBe(on);
      }
    }
  });

  it('rollout is within statistical bounds over 100,000 users and the same on every instance', async () => {
    await a.flags.put('half', { enabled: true, rollout: 25 });
    const n = 100_000;
    let on = 0;
    for (let i = 0; i < n; i++) {
      const user = `user-${i}`;
      const r =
        a.flags.evaluateNow('half', { userId: user }) ?? (await a.flags.evaluate('half', { userId: user }));
      if (r.enabled) on++;
      if (i % 997 === 0) {
        for (const p of [b, c])
          expect((await p.flags.evaluate('half', { userId: user })).enabled).toBe(r.enabled);
      }
    }
    // 25% of 100,000: standard deviation sqrt(n p (1-p)) ≈ 137; five of them either side.
    expect(Math.abs(on - 25_000)).toBeLessThan(5 * 137);
  });

  it('variants split by weight, sticky per user', async () => {
    await b.flags.put('checkout', {
      enabled: true,
      variants: [
        { name: 'control', weight: 50 },
        { name: 'blue', weight: 30, value: { color: 'blue' } },
        { name: 'green', weight: 20, value: 7 },
      ],
    });
    const counts: Record<string, number> = { control: 0, blue: 0, green: 0 };
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const r = await c.flags.evaluate('checkout', { userId: `v-${i}` });
      expect(r.reason).toBe('SPLIT');
      counts[r.variant!]!++;
    }
    for (const [name, weight] of [
      ['control', 0.5],
      ['blue', 0.3],
      ['green', 0.2],
    ] as const) {
      const sd = Math.sqrt(n * weight * (1 - weight));
      expect(Math.abs(counts[name]! - n * weight)).toBeLessThan(5 * sd);
    }
    const once = await a.flags.evaluate('checkout', { userId: 'v-42' });
    expect((await b.flags.evaluate('checkout', { userId: 'v-42' })).variant).toBe(once.variant);
  });

  it('allow and deny lists by user and role, and the kill switch', async () => {
    await a.flags.put('beta', {
      enabled: false,
      allow: { users: ['tester'], roles: ['staff'] },
      deny: { users: ['banned'], roles: ['guest'] },
    });
    const ev = (ctx: { userId?: string; roles?: string[] }) => c.flags.evaluate('beta', ctx);
    expect(await ev({ userId: 'tester' })).toMatchObject({ enabled: true, reason: 'TARGETING_MATCH' });
    expect(await ev({ userId: 'x', roles: ['staff'] })).toMatchObject({
      enabled: true,
      reason: 'TARGETING_MATCH',
    });
    expect(await ev({ userId: 'x' })).toMatchObject({ enabled: false, reason: 'DISABLED' });
    expect(await ev({ userId: 'tester', roles: ['guest'] })).toMatchObject({
      enabled: false,
      reason: 'TARGETING_MATCH',
    });
    await b.flags.update('beta', (d) => ({ ...d, enabled: true }));
    await seen(c, 'beta', { userId: 'x' }, { enabled: true });
    expect(await ev({ userId: 'x' })).toMatchObject({ enabled: true, reason: 'STATIC' });
    expect(await ev({ userId: 'banned' })).toMatchObject({ enabled: false, reason: 'TARGETING_MATCH' });
    await a.flags.update('beta', (d) => ({ ...d, killed: true }));
    await seen(c, 'beta', { userId: 'tester' }, { enabled: false });
    expect(await ev({ userId: 'tester' })).toMatchObject({ enabled: false, reason: 'DISABLED' });
    expect(await ev({ userId: 'x' })).toMatchObject({ enabled: false, reason: 'DISABLED' });
  });

  it('refuses bad definitions with stable codes and stores nothing', async () => {
    const cases: [string, unknown, string][] = [
      ['bad name!', { enabled: true }, 'FLAG_INVALID_NAME'],
      ['x1', null, 'FLAG_INVALID_RULE'],
      ['x1', { enabled: 'yes' }, 'FLAG_INVALID_RULE'],
      ['x1', { enabled: true, rollout: 101 }, 'FLAG_INVALID_RULE'],
      ['x1', { enabled: true, rollout: 10.123 }, 'FLAG_INVALID_RULE'],
      ['x1', { enabled: true, allow: { users: 'bob' } }, 'FLAG_INVALID_RULE'],
      ['x1', { enabled: true, allow: { teams: ['a'] } }, 'FLAG_INVALID_RULE'],
      ['x1', { enabled: true, colour: 'red' }, 'FLAG_INVALID_RULE'],
      [
        'x1',
        {
          enabled: true,
          variants: [
            { name: 'a', weight: 60 },
            { name: 'b', weight: 30 },
          ],
        },
        'FLAG_INVALID_WEIGHTS',
      ],
      [
        'x1',
        {
          enabled: true,
          variants: [
            { name: 'a', weight: 50.5 },
            { name: 'b', weight: 49.5 },
          ],
        },
        'FLAG_INVALID_WEIGHTS',
      ],
      [
        'x1',
        {
          enabled: true,
          variants: [
            { name: 'a', weight: 100 },
            { name: 'a', weight: 0 },
          ],
        },
        'FLAG_INVALID_RULE',
      ],
      [
        'x1',
        { enabled: true, allow: { users: Array.from({ length: 5000 }, (_, i) => `user-number-${i}`) } },
        'SETTINGS_VALUE_TOO_LARGE',
      ],
    ];
    for (const [name, definition, code] of cases) {
      await expect(a.flags.put(name, definition)).rejects.toMatchObject({ code });
    }
    expect(await a.flags.get('x1')).toBeNull();
    expect(await a.flags.evaluate('x1', {})).toMatchObject({
      enabled: false,
      reason: 'ERROR',
      errorCode: 'FLAG_NOT_FOUND',
    });
    expect((await a.flags.audit('x1')).items).toEqual([]);
    await expect(a.flags.remove('x1')).rejects.toMatchObject({ code: 'FLAG_NOT_FOUND' });
  });

  it('records every change in the audit trail, paged newest first', async () => {
    await a.flags.put('audited', { enabled: false }, { by: 'alice' });
    for (let i = 1; i <= 4; i++)
      await b.flags.put('audited', { enabled: i % 2 === 1, rollout: i * 10 }, { by: `bob${i}` });
    await c.flags.remove('audited', { by: 'carol' });
    const first = await a.flags.audit('audited', { limit: 4 });
    expect(first.items.map((e) => [e.action, e.actor])).toEqual([
      ['delete', 'carol'],
      ['update', 'bob4'],
      ['update', 'bob3'],
      ['update', 'bob2'],
    ]);
    expect(first.items[1]).toMatchObject({
      before: { version: 4, definition: { enabled: true, rollout: 30 } },
      after: { version: 5, definition: { enabled: false, rollout: 40 } },
    });
    const second = await a.flags.audit('audited', { limit: 4, cursor: first.next! });
    expect(second.items.map((e) => [e.action, e.actor])).toEqual([
      ['update', 'bob1'],
      ['create', 'alice'],
    ]);
    expect(second.next).toBeNull();
  });
});

describe('a change whose invalidation never arrives', () => {
  it('is answered by evaluateNow within the TTL (SETTINGS_TTL_MS) all the same', async () => {
    const ttl = 300;
    const pair = await startInstances(2, 'sqlite', { SETTINGS_TTL_MS: String(ttl) });
    try {
      const [writer, reader] = pair.instances as [Plexus, Plexus];
      const ctx = { userId: 'u1' };
      await writer.flags.put('ttl-bound', { enabled: false });
      // The reader holds it in memory (evaluateNow answers without I/O).
      await until('the reader holds the flag', async () => {
        await reader.flags.evaluate('ttl-bound', ctx);
        return reader.flags.evaluateNow('ttl-bound', ctx)?.enabled === false;
      });
      // Changed behind the cache's back: the database only, no Redis copy, no invalidation sent.
      const current = await writer.settings.repository.read('features', 'ttl-bound');
      await writer.settings.repository.write(
        'features',
        'ttl-bound',
        { enabled: true },
        'test',
        current!.version,
      );
      // Once its copy (and Redis's) is past the TTL the reader goes back to the database.
      await until(
        'the reader answers the database value',
        async () =>
          (reader.flags.evaluateNow('ttl-bound', ctx) ?? (await reader.flags.evaluate('ttl-bound', ctx)))
            .enabled === true,
        ttl * 20,
      );
      expect(reader.flags.evaluateNow('ttl-bound', ctx)?.enabled ?? true).toBe(true);
    } finally {
      await pair.close();
    }
  }, 30_000);
});
