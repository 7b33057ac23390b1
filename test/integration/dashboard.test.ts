/**
 * The dashboard's routes on the reference server over real HTTP and a real Redis: the page and its
 * assets under a strict CSP, admin-only data (401 without credentials, 403 for a signed-in
 * non-admin), the data document with this instance and its history, ETag/304, CSRF on actions,
 * and the history in Redis kept within its window, its count and its TTL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardOf } from '../../src/dashboard/dashboard.js';
import { TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { Client, RefusedUpgrade, wsUrl } from './realtime/harness.js';
import { errorCode, type Running, request, startServer } from './server/harness.js';

const TOKEN = 'dashboard-test-token-0123456789';
let server: Running;
let prefix: string;

beforeAll(async () => {
  prefix = uniquePrefix('dash');
  server = await startServer({
    env: {
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      PLEXUS_ADMIN_TOKEN: TOKEN,
      PLEXUS_ADMIN_EMAIL: 'root@example.com',
      PLEXUS_ADMIN_PASSWORD: 'root-password-123',
      PASSWORD_SCRYPT_COST: '10',
      DASHBOARD_HISTORY_WINDOW: '60000',
      DASHBOARD_HISTORY_STEP_MS: '1000',
      INSTANCES_REPORT_INTERVAL_MS: '1000',
      INSTANCES_TTL_MS: '3000',
    },
  });
  await server.plexus.auth.accounts.create({
    login: 'staffer',
    password: 'staffer-password-1',
    roles: ['staff'],
  });
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

const bearer = { authorization: `Bearer ${TOKEN}` };

async function signIn(login: string, password: string): Promise<string> {
  const response = await fetch(`${server.url}/api/1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login, password }),
  });
  expect(response.status).toBe(200);
  return response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

describe('the dashboard page', () => {
  it('is served with a strict CSP and names only its own assets', async () => {
    const page = await request(`${server.url}/admin`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const csp = String(page.headers.get('content-security-policy'));
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).not.toMatch(/unsafe-inline|https?:/);
    expect(page.text).not.toMatch(/(src|href)="https?:\/\//);
    const assets = [...page.text.matchAll(/(?:src|href)="(\/admin\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets).toHaveLength(2);
    for (const asset of assets) {
      const response = await fetch(`${server.url}${asset}`);
      expect(response.status).toBe(200);
      const etag = response.headers.get('etag')!;
      const again = await fetch(`${server.url}${asset}`, { headers: { 'if-none-match': etag } });
      expect(again.status).toBe(304);
    }
  });
});

describe('access', () => {
  const dataRoutes = ['/api/1/admin/dashboard', '/api/1/admin/dashboard/session'];

  it('answers 401 without credentials and 403 to a signed-in non-admin', async () => {
    const cookie = await signIn('staffer', 'staffer-password-1');
    for (const route of dataRoutes) {
      const anonymous = await request(`${server.url}${route}`);
      expect(anonymous.status).toBe(401);
      expect(errorCode(anonymous)).toBe('UNAUTHORIZED');
      const staff = await request(`${server.url}${route}`, { headers: { cookie } });
      expect(staff.status).toBe(403);
      expect(errorCode(staff)).toBe('FORBIDDEN');
      const wrongToken = await request(`${server.url}${route}`, {
        headers: { authorization: 'Bearer nope' },
      });
      expect(wrongToken.status).toBe(401);
    }
    const action = await request(`${server.url}/api/1/admin/dashboard/panels/cache/actions/clear`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ value: 'x' }),
    });
    expect(action.status).toBe(403);
  });

  it('requires the session CSRF token on actions, and none with the bearer token', async () => {
    const cookie = await signIn('root@example.com', 'root-password-123');
    const session = await request(`${server.url}/api/1/admin/dashboard/session`, { headers: { cookie } });
    expect(session.status).toBe(200);
    expect(session.body).toMatchObject({ via: 'session', login: 'root@example.com' });
    const csrf = String(session.body.csrfToken);
    expect(csrf.length).toBeGreaterThan(20);

    const ns = server.plexus.cache.namespace('dash-csrf');
    await ns.set('k', 'v');
    const post = (headers: Record<string, string>) =>
      request(`${server.url}/api/1/admin/dashboard/panels/cache/actions/clear`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ value: 'dash-csrf' }),
      });
    const missing = await post({ cookie });
    expect(missing.status).toBe(403);
    expect(errorCode(missing)).toBe('DASHBOARD_CSRF');
    const wrong = await post({ cookie, 'x-csrf-token': `${csrf.slice(0, -2)}xx` });
    expect(errorCode(wrong)).toBe('DASHBOARD_CSRF');
    expect(await ns.get('k')).toBe('v');

    const ok = await post({ cookie, 'x-csrf-token': csrf });
    expect(ok.status).toBe(200);
    expect(String(ok.body.note)).toMatch(/Cleared dash-csrf/);
    expect(await ns.get('k')).toBeUndefined();

    await ns.set('k', 'v2');
    const byToken = await post(bearer);
    expect(byToken.status).toBe(200);
    expect(await ns.get('k')).toBeUndefined();
  });

  it('refuses unknown panels and actions, and bad values, with stable codes', async () => {
    const post = (path: string, body: unknown) =>
      request(`${server.url}/api/1/admin/dashboard/panels/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...bearer },
        body: JSON.stringify(body),
      });
    expect(errorCode(await post('nope/actions/clear', { value: 'x' }))).toBe('DASHBOARD_NOT_FOUND');
    expect(errorCode(await post('cache/actions/nope', { value: 'x' }))).toBe('DASHBOARD_NOT_FOUND');
    expect(errorCode(await post('cache/actions/clear', { value: '' }))).toBe('DASHBOARD_INVALID_ARGUMENT');
    expect(errorCode(await post('cache/actions/clear', { value: 'a b*' }))).toBe('PLEXUS_INVALID_ARGUMENT');
    expect(errorCode(await post('cache/actions/clear', {}))).toBe('VALIDATION_FAILED');
    expect(errorCode(await post('sessions/actions/list', { value: 'nobody' }))).toBe('DASHBOARD_NOT_FOUND');
  });
});

describe('module and application panels', () => {
  const act = (panel: string, action: string, value: string) =>
    request(`${server.url}/api/1/admin/dashboard/panels/${panel}/actions/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer },
      body: JSON.stringify({ value }),
    });
  type Panel = { id: string; error?: string; table?: { rows: unknown[][] }; note?: string };
  const panels = async () =>
    (await request(`${server.url}/api/1/admin/dashboard`, { headers: bearer })).body.panels as Panel[];

  it('shows flags, realtime and every installed application, each read without error', async () => {
    const shown = await panels();
    // The core's panels first, although the applications registered theirs earlier.
    expect(shown.slice(0, 7).map((p) => p.id)).toEqual([
      'redis',
      'cache',
      'jobs',
      'sessions',
      'flags',
      'realtime',
      'errors',
    ]);
    expect(shown.map((p) => p.id)).toEqual(
      expect.arrayContaining(['flags', 'realtime', 'qr', 'attendance', 'matchmaking']),
    );
    for (const id of ['flags', 'realtime', 'qr', 'attendance', 'matchmaking']) {
      expect(shown.find((p) => p.id === id)?.error, id).toBeUndefined();
    }
    const realtime = shown.find((p) => p.id === 'realtime')!;
    expect(realtime.table!.rows.map((r) => r[0])).toContain('plexus-admin');
  });

  it('toggles a flag, sets its rollout and shows its audit trail', async () => {
    const { flags } = server.plexus;
    await flags.put('dash-beta', { enabled: false });
    const toggled = await act('flags', 'toggle', 'dash-beta');
    expect(toggled.status).toBe(200);
    expect(toggled.body.note).toBe('dash-beta is now on.');
    expect((await flags.get('dash-beta'))?.definition.enabled).toBe(true);
    expect((await act('flags', 'rollout', 'dash-beta 25')).status).toBe(200);
    expect((await flags.get('dash-beta'))?.definition.rollout).toBe(25);
    expect(errorCode(await act('flags', 'rollout', 'dash-beta lots'))).toBe('DASHBOARD_INVALID_ARGUMENT');
    expect(errorCode(await act('flags', 'toggle', 'no-such-flag'))).toBe('FLAG_NOT_FOUND');
    const audit = await act('flags', 'audit', 'dash-beta');
    const rows = (audit.body.table as { rows: string[][] }).rows;
    expect(rows.length).toBe(3);
    expect(rows[0]![1]).toBe('admin dashboard');
    expect(rows[0]![4]).toMatch(/on .*25%/);
  });

  it('defines and removes a runtime endpoint', async () => {
    const defined = await act('realtime', 'define', 'dash-alerts role:staff');
    expect(defined.status).toBe(200);
    const endpoints = await server.plexus.realtime.runtime.list();
    expect(endpoints.find((e) => e.name === 'dash-alerts')?.options).toEqual({ connect: { role: 'staff' } });
    expect(errorCode(await act('realtime', 'define', 'dash-alerts everyone'))).toBe(
      'DASHBOARD_INVALID_ARGUMENT',
    );
    expect(errorCode(await act('realtime', 'define', 'plexus-admin anyone'))).toBe('WS_ENDPOINT_IN_CODE');
    expect((await act('realtime', 'remove', 'dash-alerts')).status).toBe(200);
    expect(server.plexus.realtime.get('dash-alerts')).toBeUndefined();
    expect(errorCode(await act('realtime', 'remove', 'dash-alerts'))).toBe('DASHBOARD_NOT_FOUND');
  });
});

describe('the data document', () => {
  it('lists this instance with its history in buckets, and answers 304 when nothing changed', async () => {
    const id = server.plexus.instanceId;
    type Plots = {
      bucketMs: number;
      grouping: string;
      fields: string[];
      since: number;
      t: number[];
      series: { id: string; instances: number; values: (number | null)[][] }[];
    };
    let doc: Record<string, unknown> = {};
    for (let i = 0; i < 50; i++) {
      doc = (await request(`${server.url}/api/1/admin/dashboard`, { headers: bearer })).body;
      if (((doc.plots as Plots | undefined)?.t.length ?? 0) >= 2) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(doc.source).toBe('cluster');
    expect(doc.answeredBy).toBe(id);
    const servers = doc.servers as { instances: { id: string; state: string }[] }[];
    expect(servers.flatMap((s) => s.instances).find((i) => i.id === id)?.state).toBe('running');
    const plots = doc.plots as Plots;
    // 60 s window / 120 buckets: never below the 1 s step.
    expect(plots.bucketMs).toBe(1000);
    expect(plots.grouping).toBe('instance');
    expect(plots.t.length).toBeGreaterThanOrEqual(2);
    expect(plots.t.every((t) => t % plots.bucketMs === 0)).toBe(true);
    const mine = plots.series.find((s) => s.id === id)!;
    expect(mine.instances).toBe(1);
    expect(mine.values.length).toBe(plots.fields.length);
    expect(mine.values.every((column) => column.length === plots.t.length)).toBe(true);
    expect((doc.panels as { id: string }[]).map((p) => p.id)).toEqual(
      expect.arrayContaining(['redis', 'cache', 'jobs', 'sessions', 'errors']),
    );

    // One point per one-second bucket: each bucket's figure is the stored point's.
    const stored = (
      await server.plexus.redis.store.zRangeByScore(
        server.plexus.redis.keys.dashboard.history(id),
        0,
        Number.POSITIVE_INFINITY,
      )
    ).map((json) => JSON.parse(json) as number[]);
    const cpu = plots.fields.indexOf('cpuPercent');
    for (const [i, start] of plots.t.entries()) {
      const points = stored.filter((p) => p[0]! >= start && p[0]! < start + plots.bucketMs);
      if (points.length !== 1) continue;
      expect(mine.values[cpu]![i]).toBeCloseTo(points[0]![cpu + 1]!, 2);
    }

    const since = plots.t[plots.t.length - 1]!;
    const newer = (await request(`${server.url}/api/1/admin/dashboard?since=${since}`, { headers: bearer }))
      .body;
    const later = newer.plots as Plots;
    expect(later.since).toBe(since);
    expect(later.t.every((t) => t >= since)).toBe(true);

    // Between two reports and panel refreshes the document is the same: at least one pair of
    // back-to-back requests must see it.
    // The page asks with the same `since` until a new bucket arrives; so does this.
    const future = Date.now() + 60_000;
    let unchanged = false;
    for (let i = 0; i < 20 && !unchanged; i++) {
      const first = await fetch(`${server.url}/api/1/admin/dashboard?since=${future}`, {
        headers: bearer,
      });
      await first.text();
      const second = await fetch(`${server.url}/api/1/admin/dashboard?since=${future}`, {
        headers: { ...bearer, 'if-none-match': String(first.headers.get('etag')) },
      });
      unchanged = second.status === 304;
    }
    expect(unchanged).toBe(true);
  });

  it('rejects a malformed since', async () => {
    const response = await request(`${server.url}/api/1/admin/dashboard?since=yesterday`, {
      headers: bearer,
    });
    expect(response.status).toBe(400);
  });
});

describe('live updates over the realtime endpoint plexus-admin', () => {
  async function refusal(headers: Record<string, string>): Promise<number> {
    try {
      (await Client.open(wsUrl(server, 'plexus-admin'), headers)).close();
    } catch (error) {
      if (error instanceof RefusedUpgrade) return error.status;
      throw error;
    }
    return 101;
  }

  it('refuses anonymous and non-admin connections', async () => {
    expect(await refusal({})).toBe(401);
    expect(await refusal({ cookie: await signIn('staffer', 'staffer-password-1') })).toBe(403);
  });

  it("pushes the document, from the last two buckets on, to the room of the page's instance", async () => {
    const client = await Client.open(wsUrl(server, 'plexus-admin'), {
      cookie: await signIn('root@example.com', 'root-password-123'),
    });
    try {
      const id = server.plexus.instanceId;
      expect(client.welcome?.instance).toBe(id);
      expect((await client.request({ t: 'join', room: `instance:${id}` })).t).toBe('ok');
      const pushed = () => client.messages(`room:instance:${id}`).filter((m) => m.ev === 'dashboard');
      await client.until('a pushed document', () => pushed().length > 0);
      const doc = pushed()[0]!.d as {
        v: number;
        source: string;
        answeredBy: string;
        plots: { since: number; bucketMs: number; t: number[] };
      };
      expect(doc).toMatchObject({ v: 2, source: 'cluster', answeredBy: id });
      expect(doc.plots.since).toBeGreaterThan(0);
      expect(doc.plots.t.every((t) => t >= doc.plots.since)).toBe(true);
      // A new point every second (the step), so a new document soon.
      await client.until('a second document', () => pushed().length > 1);
      // The page may not publish on this endpoint.
      expect((await client.request({ t: 'pub', to: `room:instance:${id}`, ev: 'x', d: 1 })).t).toBe('err');
    } finally {
      client.close();
    }
  });
});

describe('the history in Redis', () => {
  it('keeps one window of points, at most window/step of them, and expires with the window', async () => {
    const dashboard = dashboardOf(server.plexus);
    const key = server.plexus.redis.keys.dashboard.history(server.plexus.instanceId);
    expect(key).toBe(`${prefix}:health:history:${server.plexus.instanceId}`);
    const store = server.plexus.redis.store;
    // 90 points one second apart, far in the future so the recorder's own points are older.
    const base = Date.now() + 3_600_000;
    for (let i = 0; i < 90; i++) await dashboard.history.record(base + i * 1000);
    expect(await store.zCard(key)).toBe(60);
    const kept = await store.zRangeByScore(key, 0, Number.POSITIVE_INFINITY);
    expect(JSON.parse(kept[0]!)[0]).toBe(base + 30_000);
    const ttl = await store.pTtl(key);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect(dashboard.history.local().length).toBeLessThanOrEqual(60);
    const known = await dashboard.history.known(base + 90_000);
    expect(known.map((k) => k.id)).toContain(server.plexus.instanceId);
  });
});
