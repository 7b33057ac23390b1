/**
 * The rules of the sessions' local copy (src/sessions/local-cache.ts), on a clock the test moves:
 * when a copy may be served, what drops it, and that a read racing an invalidation cannot put
 * back what the invalidation dropped. The cross-instance behaviour over real Redis is in
 * test/integration/sessions-local-cache.test.ts.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { sessionHandle } from '../../src/sessions/handle.js';
import { LocalSessionCache } from '../../src/sessions/local-cache.js';
import type { SessionRecord } from '../../src/sessions/record.js';
import { newSessionId, renewalStep } from '../../src/sessions/session-store.js';

const T0 = 1_800_000_000_000;
const DAY = 86_400_000;

let now = T0;

function cache(maxAgeMs = 2000, maxEntries = 100): LocalSessionCache {
  const made = new LocalSessionCache({ maxAgeMs, maxEntries, renewalStep, now: () => now });
  made.trust();
  return made;
}

function record(overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id: newSessionId(),
    user: { id: 'u1', login: 'ada@example.com', roles: ['staff'] },
    data: {},
    createdAt: now,
    lastSeenAt: now,
    expiresAt: now + DAY,
    ttlMs: DAY,
    version: 1,
    device: 'test',
    ip: '127.0.0.1',
    indexDueAt: now + DAY / 4,
    cookie: null,
    ...overrides,
  };
}

beforeEach(() => {
  now = T0;
});

describe('sessions local cache', () => {
  it('serves a copy until the earliest of its max age and the session renewal step', () => {
    const short = cache(2000);
    const a = record();
    short.fill(a.id, a, short.ticket());
    now += 1999;
    expect(short.get(a.id)).toMatchObject({ id: a.id, user: a.user });
    now += 1;
    expect(short.get(a.id)).toBeUndefined();

    // A max age longer than the renewal step: the step (5 s after the last renewal) wins, so Redis
    // still renews the session as often as without the cache.
    const long = cache(60_000);
    const b = record({ lastSeenAt: now - 3000 });
    long.fill(b.id, b, long.ticket());
    now += 1999;
    expect(long.get(b.id)).toBeDefined();
    now += 1;
    expect(long.get(b.id)).toBeUndefined();
  });

  it('never serves past the session expiry or its index refresh', () => {
    const c = cache(5000);
    const expiring = record({ expiresAt: now + 300 });
    const indexDue = record({ indexDueAt: now + 400 });
    c.fill(expiring.id, expiring, c.ticket());
    c.fill(indexDue.id, indexDue, c.ticket());
    now += 300;
    expect(c.get(expiring.id)).toBeUndefined();
    expect(c.get(indexDue.id)).toBeDefined();
    now += 100;
    expect(c.get(indexDue.id)).toBeUndefined();
    // Already due when read: not kept at all.
    const stale = record({ lastSeenAt: now - renewalStep(DAY) });
    c.fill(stale.id, stale, c.ticket());
    expect(c.stats().entries).toBe(0);
  });

  it('serves nothing and keeps nothing while distrusted', () => {
    const c = cache();
    const a = record();
    c.fill(a.id, a, c.ticket());
    c.distrust();
    expect(c.get(a.id)).toBeUndefined();
    c.fill(a.id, a, c.ticket());
    expect(c.stats()).toMatchObject({ trusted: false, entries: 0 });
    c.trust();
    // What was kept before the distrust is gone for good.
    expect(c.get(a.id)).toBeUndefined();
    c.fill(a.id, a, c.ticket());
    expect(c.get(a.id)).toBeDefined();
  });

  it('drops copies named by handle, and by user', () => {
    const c = cache();
    const a = record();
    const b = record();
    const other = record({ user: { id: 'u2' } });
    for (const r of [a, b, other]) c.fill(r.id, r, c.ticket());
    c.invalidate([sessionHandle(a.id), 'unknown-handle']);
    expect(c.get(a.id)).toBeUndefined();
    expect(c.get(b.id)).toBeDefined();
    expect(c.invalidateUser('u1')).toEqual([sessionHandle(b.id)]);
    expect(c.get(b.id)).toBeUndefined();
    expect(c.get(other.id)).toBeDefined();
    expect(c.stats().invalidations).toBe(2);
  });

  it('does not keep what a read returned when its session was invalidated while it was in flight', () => {
    const c = cache();
    const a = record();
    const b = record();
    const readA = c.ticket();
    const readB = c.ticket();
    // The reads are on their way to Redis; meanwhile a write of session a publishes.
    c.invalidate([sessionHandle(a.id)]);
    c.fill(a.id, a, readA);
    expect(c.get(a.id)).toBeUndefined();
    // The other session, read at the same time, is not affected.
    c.fill(b.id, b, readB);
    expect(c.get(b.id)).toBeDefined();
    // A read that started after the invalidation fills normally.
    c.fill(a.id, a, c.ticket());
    expect(c.get(a.id)).toBeDefined();
  });

  it('does not keep what a read returned when everything was dropped while it was in flight', () => {
    const c = cache();
    const a = record();
    const ticket = c.ticket();
    // Redis was lost and regained meanwhile: messages may have been missed.
    c.distrust();
    c.trust();
    c.fill(a.id, a, ticket);
    expect(c.get(a.id)).toBeUndefined();
  });

  it('hands out copies: changing what it served does not change what it keeps', () => {
    const c = cache();
    const a = record({ data: { cart: [1, 2] }, cookie: { maxAge: 10 } });
    c.fill(a.id, a, c.ticket());
    a.data['cart'] = ['changed by the reader'];
    const served = c.get(a.id)!;
    (served.data['cart'] as number[]).push(3);
    served.user!.roles!.push('admin');
    served.cookie!['maxAge'] = 0;
    served.data = {};
    expect(c.get(a.id)).toMatchObject({
      data: { cart: [1, 2] },
      user: { roles: ['staff'] },
      cookie: { maxAge: 10 },
    });
  });

  it('does not remember when the session was seen before (the cookie is re-sent on renewals only)', () => {
    const c = cache();
    const a = record({ previousSeenAt: now - 60_000 });
    c.fill(a.id, a, c.ticket());
    expect(c.get(a.id)).not.toHaveProperty('previousSeenAt');
  });

  it('keeps at most maxEntries copies, dropping the oldest', () => {
    const c = cache(2000, 2);
    const [a, b, d] = [record(), record(), record()];
    for (const r of [a, b, d]) c.fill(r.id, r, c.ticket());
    expect(c.get(a.id)).toBeUndefined();
    expect(c.get(b.id)).toBeDefined();
    expect(c.get(d.id)).toBeDefined();
    expect(c.stats()).toMatchObject({ entries: 2, hits: 2, misses: 3 });
  });
});
