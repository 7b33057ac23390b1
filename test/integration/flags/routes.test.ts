/**
 * The configuration and feature-flag routes over real HTTP on the reference server: evaluation
 * for the session's user, admin reads and writes with If-Match, 409 on a stale version, the audit
 * trail with its cursor, and bad input answered 4xx with stable codes, nothing stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, errorCodeOf, FAST_HASHING, PASSWORD } from '../../support/sessions-helpers.js';
import { type Running, startServer } from '../server/harness.js';

const TOKEN = 'flags-admin-token-0123456789';
let server: Running;
let admin: Browser;
const auth = { authorization: `Bearer ${TOKEN}` };

beforeAll(async () => {
  server = await startServer({ env: { PLEXUS_ADMIN_TOKEN: TOKEN, PLEXUS_APPS: '', ...FAST_HASHING } });
  await server.plexus.auth.accounts.create({
    login: 'bob@example.com',
    password: PASSWORD,
    roles: ['staff'],
  });
  admin = new Browser(server.url);
}, 30_000);
afterAll(() => server?.stop());

const put = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  admin.request('PUT', path, body, { ...auth, ...headers });

describe('configuration routes', () => {
  it('writes, reads with a version, and refuses a stale If-Match with 409', async () => {
    const created = await put('/api/1/admin/config/app/title', { value: { text: 'Hello' } });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      collection: 'app',
      key: 'title',
      value: { text: 'Hello' },
      version: 1,
      updatedBy: 'admin-token',
    });
    expect(created.headers.get('etag')).toBe('"1"');
    const read = await admin.request('GET', '/api/1/admin/config/app/title', undefined, auth);
    expect(read.body).toMatchObject({ value: { text: 'Hello' }, version: 1 });
    const next = await put('/api/1/admin/config/app/title', { value: 'v2' }, { 'if-match': '"1"' });
    expect(next.body).toMatchObject({ value: 'v2', version: 2 });
    const stale = await put('/api/1/admin/config/app/title', { value: 'lost' }, { 'if-match': '"1"' });
    expect(stale.status).toBe(409);
    expect(errorCodeOf(stale)).toBe('SETTINGS_VERSION_CONFLICT');
    expect((await server.plexus.settings.get('app', 'title'))?.value).toBe('v2');
    const badDelete = await admin.request('DELETE', '/api/1/admin/config/app/title', undefined, {
      ...auth,
      'if-match': '"7"',
    });
    expect(badDelete.status).toBe(409);
    const deleted = await admin.request('DELETE', '/api/1/admin/config/app/title', undefined, {
      ...auth,
      'if-match': '"2"',
    });
    expect(deleted.body).toEqual({ deleted: true, version: 2 });
    const gone = await admin.request('GET', '/api/1/admin/config/app/title', undefined, auth);
    expect([gone.status, errorCodeOf(gone)]).toEqual([404, 'SETTINGS_NOT_FOUND']);
  });

  it('pages a collection', async () => {
    for (const k of ['a', 'b', 'c']) await put(`/api/1/admin/config/paged/${k}`, { value: k });
    const first = await admin.request('GET', '/api/1/admin/config/paged?limit=2', undefined, auth);
    expect((first.body.items as { key: string }[]).map((i) => i.key)).toEqual(['a', 'b']);
    const second = await admin.request(
      'GET',
      `/api/1/admin/config/paged?limit=2&cursor=${first.body.next}`,
      undefined,
      auth,
    );
    expect(second.body).toMatchObject({ items: [{ key: 'c' }], next: null });
  });

  it('answers bad input with 4xx and stable codes, storing nothing', async () => {
    const cases: [string, unknown, Record<string, string>, number, string][] = [
      ['/api/1/admin/config/Bad/k', { value: 1 }, {}, 400, 'SETTINGS_INVALID'],
      ['/api/1/admin/config/app/k', { wrong: 1 }, {}, 400, 'VALIDATION_FAILED'],
      ['/api/1/admin/config/app/k', { value: 1 }, { 'if-match': 'banana' }, 400, 'SETTINGS_INVALID'],
      ['/api/1/admin/config/app/k', { value: 'x'.repeat(70_000) }, {}, 413, 'BODY_TOO_LARGE'],
      ['/api/1/admin/config/app/k', { value: 'x'.repeat(65_600) }, {}, 413, 'SETTINGS_VALUE_TOO_LARGE'],
      ['/api/1/admin/config/app/k', '{"value":', {}, 400, 'INVALID_JSON'],
    ];
    for (const [path, body, headers, status, code] of cases) {
      const r = await put(path, body, headers);
      expect([r.status, errorCodeOf(r)], `${path} ${JSON.stringify(body).slice(0, 40)}`).toEqual([
        status,
        code,
      ]);
    }
    expect(await server.plexus.settings.get('app', 'k')).toBeNull();
    const anonymous = await new Browser(server.url).request('PUT', '/api/1/admin/config/app/k', { value: 1 });
    expect(anonymous.status).toBe(401);
  });
});

describe('feature routes', () => {
  it('evaluates for the session user and lists the caller’s flags', async () => {
    expect(
      (await put('/api/1/admin/features/staff-only', { enabled: false, allow: { roles: ['staff'] } })).status,
    ).toBe(200);
    await put('/api/1/admin/features/colours', {
      enabled: true,
      variants: [
        { name: 'red', weight: 50 },
        { name: 'blue', weight: 50 },
      ],
    });
    const anonymous = new Browser(server.url);
    expect((await anonymous.request('GET', '/api/1/features/staff-only')).body).toEqual({
      name: 'staff-only',
      enabled: false,
      value: false,
      reason: 'DISABLED',
    });
    const bob = new Browser(server.url);
    expect((await bob.login('bob@example.com')).status).toBe(200);
    expect((await bob.request('GET', '/api/1/features/staff-only')).body).toMatchObject({
      enabled: true,
      reason: 'TARGETING_MATCH',
    });
    const colours = await bob.request('GET', '/api/1/features/colours');
    expect(colours.body).toMatchObject({ enabled: true, reason: 'SPLIT' });
    expect(['red', 'blue']).toContain(colours.body.variant);
    const all = await bob.request('GET', '/api/1/features');
    expect((all.body.items as { name: string }[]).map((i) => i.name).sort()).toEqual([
      'colours',
      'staff-only',
    ]);
    const missing = await bob.request('GET', '/api/1/features/nope');
    expect([missing.status, errorCodeOf(missing)]).toEqual([404, 'FLAG_NOT_FOUND']);
  });

  it('admin reads, If-Match writes, deletes, and the audit trail pages', async () => {
    const created = await put('/api/1/admin/features/trail', { enabled: false });
    expect(created.body).toMatchObject({ name: 'trail', version: 1, updatedBy: 'admin-token' });
    await put('/api/1/admin/features/trail', { enabled: true }, { 'if-match': '"1"' });
    const stale = await put('/api/1/admin/features/trail', { enabled: false }, { 'if-match': '"1"' });
    expect([stale.status, errorCodeOf(stale)]).toEqual([409, 'SETTINGS_VERSION_CONFLICT']);
    const read = await admin.request('GET', '/api/1/admin/features/trail', undefined, auth);
    expect(read.body).toMatchObject({ definition: { enabled: true }, version: 2 });
    const list = await admin.request('GET', '/api/1/admin/features', undefined, auth);
    expect((list.body.items as { name: string }[]).map((i) => i.name)).toContain('trail');
    const first = await admin.request('GET', '/api/1/admin/features/trail/audit?limit=1', undefined, auth);
    expect(first.body.items).toMatchObject([
      { action: 'update', actor: 'admin-token', before: { version: 1 }, after: { version: 2 } },
    ]);
    const second = await admin.request(
      'GET',
      `/api/1/admin/features/trail/audit?limit=1&cursor=${first.body.next}`,
      undefined,
      auth,
    );
    expect(second.body).toMatchObject({ items: [{ action: 'create', before: null }], next: null });
    const deleted = await admin.request('DELETE', '/api/1/admin/features/trail', undefined, auth);
    expect(deleted.body).toEqual({ deleted: true, version: 2 });
    const again = await admin.request('DELETE', '/api/1/admin/features/trail', undefined, auth);
    expect([again.status, errorCodeOf(again)]).toEqual([404, 'FLAG_NOT_FOUND']);
  });

  it('refuses bad definitions with stable codes, storing nothing', async () => {
    const cases: [string, unknown, number, string][] = [
      [
        '/api/1/admin/features/w',
        {
          enabled: true,
          variants: [
            { name: 'a', weight: 70 },
            { name: 'b', weight: 20 },
          ],
        },
        400,
        'FLAG_INVALID_WEIGHTS',
      ],
      ['/api/1/admin/features/w', { enabled: 'yes' }, 400, 'VALIDATION_FAILED'],
      ['/api/1/admin/features/w', { enabled: true, rollout: 100.001 }, 400, 'VALIDATION_FAILED'],
      ['/api/1/admin/features/w', { enabled: true, rollout: 33.333 }, 400, 'FLAG_INVALID_RULE'],
      ['/api/1/admin/features/w', { enabled: true, when: 'always' }, 400, 'VALIDATION_FAILED'],
      [
        '/api/1/admin/features/w',
        {
          enabled: true,
          variants: [
            { name: 'a', weight: 100 },
            { name: 'a', weight: 0 },
          ],
        },
        400,
        'FLAG_INVALID_RULE',
      ],
      ['/api/1/admin/features/bad%20name', { enabled: true }, 400, 'FLAG_INVALID_NAME'],
      [
        '/api/1/admin/features/w',
        { enabled: true, allow: { users: Array.from({ length: 9000 }, (_, i) => `u${i}-abcdef`) } },
        413,
        'BODY_TOO_LARGE',
      ],
    ];
    for (const [path, body, status, code] of cases) {
      const r = await put(path, body);
      expect([r.status, errorCodeOf(r)], JSON.stringify(body).slice(0, 60)).toEqual([status, code]);
    }
    const audit = await admin.request('GET', '/api/1/admin/features/w/audit', undefined, auth);
    expect(audit.body).toEqual({ items: [], next: null });
    expect(await server.plexus.flags.get('w')).toBeNull();
  });
});
