/**
 * The admin dashboard in a real browser (Debian's chromium, driven by playwright-core) against
 * `plexus start --workers 2` on a real redis-server of the test's own (so that it can be stopped):
 * sign-in required and the data routes closed without it; both workers listed; a plot that has
 * points and grows; a cache namespace cleared from the page gone everywhere; a flag toggled on the
 * page answered on by both workers; the flags, realtime and application panels; the documents
 * pushed over the realtime endpoint (polling when the WebSocket is refused); a SIGKILLed worker
 * marked dead and its replacement listed without reloading; Redis stopped → "degraded: this
 * instance only", and back to the cluster view when Redis returns. Screenshots of the main views go
 * to test/artifacts/dashboard/ (gitignored), referenced from docs/dashboard.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlexus, type Plexus } from '../../src/index.js';
import { alive, type CliRun, runNode } from '../e2e/cli-process.js';
import { postgresTarget } from '../integration/db/fixtures.js';
import { allocatePort, releasePort } from '../support/ports.js';
import { uniquePrefix } from '../support/redis.js';
import { RedisProcess } from '../support/redis-process.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
const run = CHROMIUM !== undefined || process.env.CI === 'true';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ARTIFACTS = `${ROOT}test/artifacts/dashboard`;
const ADMIN = { login: 'admin@example.com', password: 'admin-password-123' };
const TOKEN = 'dashboard-browser-token-0123456789';
const STAFF = { login: 'staff@example.com', password: 'staff-password-123' };

/** Whether dist/ is older than a source file (the build takes minutes on a busy machine). */
function buildIsStale(): boolean {
  const built = [`${ROOT}dist/src/main.js`, `${ROOT}dist/dashboard/dashboard.js`];
  if (!built.every((file) => existsSync(file))) return true;
  const builtAt = Math.min(...built.map((file) => statSync(file).mtimeMs));
  const newest = (dir: string): number =>
    Math.max(
      0,
      ...readdirSync(dir, { withFileTypes: true }).map((entry) =>
        entry.isDirectory() ? newest(`${dir}/${entry.name}`) : statSync(`${dir}/${entry.name}`).mtimeMs,
      ),
    );
  return newest(`${ROOT}src`) > builtAt;
}

describe.runIf(run)('the admin dashboard in Chromium, on plexus start --workers 2', () => {
  const database = postgresTarget();
  let redis: RedisProcess;
  let cli: CliRun;
  let port: number;
  let url: string;
  let env: Record<string, string>;
  let browser: Browser;
  let page: Page;
  const origins = new Set<string>();
  const cspViolations: string[] = [];

  beforeAll(async () => {
    if (CHROMIUM === undefined) throw new Error('chromium is not installed (apt-get install chromium)');
    mkdirSync(ARTIFACTS, { recursive: true });
    // bin/plexus.js runs dist/: built here as `npm install` builds it (server and page), so that
    // workers (and the replacement of a killed one) start without transpiling on a busy machine.
    if (buildIsStale()) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    redis = await RedisProcess.start();
    port = await allocatePort();
    url = `http://127.0.0.1:${port}`;
    env = {
      ...database.env,
      REDIS_URL: `redis://127.0.0.1:${redis.port}`,
      REDIS_KEY_PREFIX: uniquePrefix('dash-e2e'),
      PLEXUS_ADMIN_EMAIL: ADMIN.login,
      PLEXUS_ADMIN_PASSWORD: ADMIN.password,
      PLEXUS_ADMIN_TOKEN: TOKEN,
      PASSWORD_SCRYPT_COST: '10',
      PLEXUS_SHUTDOWN_TIMEOUT_MS: '3000',
      INSTANCES_REPORT_INTERVAL_MS: '1000',
      INSTANCES_TTL_MS: '3000',
      DASHBOARD_HISTORY_STEP_MS: '1000',
      // 120 buckets of 1 s (the step): the plots grow every second.
      DASHBOARD_HISTORY_WINDOW: '120000',
      // A shared 2-core machine under load: a 300 ms PING deadline trips the breaker spuriously.
      REDIS_COMMAND_TIMEOUT_MS: '2000',
    };
    // The database's tables and a staff account, made by a Plexus of the same deployment.
    const setup = createPlexus({ env });
    await setup.start();
    await setup.auth.accounts.create({ login: STAFF.login, password: STAFF.password, roles: ['staff'] });
    await setup.close();
    cli = runNode(
      [`${ROOT}bin/plexus.js`, 'start', '--host', '127.0.0.1', '--port', String(port), '--workers', '2'],
      { env },
    );
    await cli.waitFor(/Plexus listening on .* with 2 workers/, 200_000);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    page.on('request', (request) => origins.add(new URL(request.url()).origin));
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    page.on('dialog', (dialog) => void dialog.accept());
  }, 900_000);

  afterAll(async () => {
    if (cli !== undefined)
      writeFileSync(`${ARTIFACTS}/server.log`, [...cli.stdout, ...cli.stderr].join('\n'));
    await browser?.close();
    if (cli !== undefined && cli.child.exitCode === null && cli.child.signalCode === null) {
      cli.child.kill('SIGTERM');
      const timer = setTimeout(() => cli.child.kill('SIGKILL'), 15_000);
      await cli.exited;
      clearTimeout(timer);
    }
    releasePort(port);
    await redis?.destroy();
    await database.drop();
  }, 60_000);

  /** A JSON answer over a new connection (so that the cluster's primary may pick either worker). */
  const freshJson = (path: string) =>
    new Promise<{ answeredBy: string; panels: { id: string; table?: { rows: unknown[][] } }[] }>(
      (resolve, reject) => {
        const req = httpGet(
          `${url}${path}`,
          { agent: false, headers: { authorization: `Bearer ${TOKEN}` } },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              body += chunk;
            });
            res.on('end', () => {
              try {
                resolve(JSON.parse(body));
              } catch (error) {
                reject(error);
              }
            });
          },
        );
        req.on('error', reject);
      },
    );

  /** The instance rows as the page shows them. */
  const rows = () =>
    page.$$eval('tr.instance', (trs) =>
      trs.map((tr) => ({
        id: tr.getAttribute('data-instance') ?? '',
        state: tr.getAttribute('data-state') ?? '',
        pid: Number(/pid (\d+)/.exec(tr.textContent ?? '')?.[1]),
      })),
    );

  async function waitForRows(
    check: (r: Awaited<ReturnType<typeof rows>>) => boolean,
    timeoutMs: number,
  ): Promise<Awaited<ReturnType<typeof rows>>> {
    const deadline = Date.now() + timeoutMs;
    let last = await rows();
    while (!check(last)) {
      if (Date.now() > deadline) throw new Error(`rows never matched: ${JSON.stringify(last)}`);
      await page.waitForTimeout(250);
      last = await rows();
    }
    return last;
  }

  it('asks to sign in, and its data routes answer 401 without credentials and 403 to a non-admin', async () => {
    await page.goto(`${url}/admin`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 20_000 });
    expect(await page.isVisible('#board')).toBe(false);
    const anonymous = await page.evaluate(async () =>
      Promise.all(
        ['/api/1/admin/dashboard', '/api/1/admin/dashboard/session', '/api/1/metrics'].map(
          async (path) => (await fetch(path)).status,
        ),
      ),
    );
    expect(anonymous).toEqual([401, 401, 401]);
    await page.screenshot({ path: `${ARTIFACTS}/sign-in.png` });

    // A signed-in account without the admin role: told so, and still refused.
    await page.getByLabel('Login').fill(STAFF.login);
    await page.getByLabel('Password').fill(STAFF.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('This account is not an administrator.').waitFor({ timeout: 20_000 });
    const staff = await page.evaluate(async () =>
      Promise.all(
        ['/api/1/admin/dashboard', '/api/1/admin/dashboard/session'].map(
          async (path) => (await fetch(path)).status,
        ),
      ),
    );
    expect(staff).toEqual([403, 403]);
    const action = await page.evaluate(
      async () =>
        (
          await fetch('/api/1/admin/dashboard/panels/cache/actions/clear', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ value: 'anything' }),
          })
        ).status,
    );
    expect(action).toBe(403);
    expect(await page.isVisible('#board')).toBe(false);
  }, 60_000);

  it('signs an admin in from the keyboard and lists both workers, live', async () => {
    await page.getByLabel('Login').fill(ADMIN.login);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByLabel('Password').press('Enter');
    await page.locator('#board').waitFor({ state: 'visible', timeout: 20_000 });
    await page.locator('#indicator[data-state="live"]').waitFor({ timeout: 20_000 });
    const listed = await waitForRows((r) => r.filter((x) => x.state === 'running').length >= 2, 30_000);
    const pids = new Set(listed.filter((r) => r.state === 'running').map((r) => r.pid));
    expect(pids.size).toBe(2);
    for (const pid of pids) expect(alive(pid)).toBe(true);
    expect(await page.textContent('#indicator')).toMatch(/Live/);
    // Signed in with a session: the documents come over the realtime endpoint plexus-admin.
    await page.locator('#indicator-text', { hasText: 'Live · over WebSocket' }).waitFor({ timeout: 20_000 });

    // Details expand from the keyboard.
    const toggle = page.locator('tr.instance button[aria-expanded]').first();
    await toggle.focus();
    await page.keyboard.press('Enter');
    await page.locator('tr.details').first().waitFor();
    expect(await page.locator('tr.instance button[aria-expanded="true"]').count()).toBe(1);
    expect(await page.textContent('tr.details')).toMatch(/nodeVersion|node/);
    await page.screenshot({ path: `${ARTIFACTS}/overview.png`, fullPage: true });
    await page.keyboard.press('Enter');

    expect([...origins]).toEqual([url]);
    expect(cspViolations).toEqual([]);
  }, 90_000);

  it('plots points, and the plot grows', async () => {
    const points = async () => Number(await page.getAttribute('#plot-requests', 'data-points'));
    const grows = async (above: number, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      while ((await points()) <= above && Date.now() < deadline) await page.waitForTimeout(250);
    };
    await grows(1, 30_000);
    const before = await points();
    expect(before).toBeGreaterThanOrEqual(2);
    await grows(before, 30_000);
    expect(await points()).toBeGreaterThan(before);
    expect(await page.locator('#plot-requests canvas').count()).toBeGreaterThan(0);
    expect(await page.textContent('#plot-requests figcaption')).toMatch(/latest: .*req\/min/);
    await page.locator('#plots').screenshot({ path: `${ARTIFACTS}/plots.png` });
  }, 90_000);

  it('clears a cache namespace from the page: gone from Redis and from every instance', async () => {
    // A third instance of the same cluster, in this process, holds entries in its L1 and in Redis.
    const witness: Plexus = createPlexus({
      env: { ...env, INSTANCE_SERVER_NAME: 'witness' },
    });
    await witness.start();
    try {
      const ns = witness.cache.namespace('dash-e2e');
      await ns.set('a', 'one');
      await ns.namespace('child').set('b', 'two');
      expect(ns.peek('a')).toBe('one');
      await page
        .locator('#panel-cache tr', { hasText: 'dash-e2e' })
        .first()
        .waitFor({ timeout: 30_000 })
        .catch(() => {});
      await page.getByRole('textbox', { name: 'Namespace' }).fill('dash-e2e');
      await page.getByRole('button', { name: 'Clear namespace' }).click();
      await page
        .locator('#panel-cache .panel-message', { hasText: /Done: Cleared dash-e2e/ })
        .waitFor({ timeout: 20_000 });
      // Redis: nothing of the namespace left. The witness's L1: invalidated by the clear's broadcast.
      const left: string[] = [];
      for await (const batch of witness.redis.store.scan(witness.redis.keys.cache.clearPattern('dash-e2e')))
        left.push(...batch);
      expect(left).toEqual([]);
      await expect.poll(() => ns.get('a'), { timeout: 10_000 }).toBeUndefined();
      expect(await ns.namespace('child').get('b')).toBeUndefined();
      await page.locator('#panel-cache').screenshot({ path: `${ARTIFACTS}/cache-panel.png` });
    } finally {
      await witness.close();
    }
  }, 90_000);

  it('toggles a flag on the page, seen by both workers; shows the flags, realtime and application panels', async () => {
    const put = await fetch(`${url}/api/1/admin/features/dash-e2e-flag`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ enabled: false }),
    });
    expect(put.status).toBe(200);
    await page.getByRole('button', { name: 'Toggle dash-e2e-flag' }).click({ timeout: 30_000 });
    await page
      .locator('#panel-flags .panel-message', { hasText: 'dash-e2e-flag is now on' })
      .waitFor({ timeout: 20_000 });
    // Each worker's API answers the flag on: new connections, spread over the workers by the primary.
    const on = new Set<string>();
    const deadline = Date.now() + 30_000;
    while (on.size < 2 && Date.now() < deadline) {
      const doc = await freshJson(`/api/1/admin/dashboard?since=${Date.now()}`);
      const flags = doc.panels.find((p) => p.id === 'flags');
      const row = flags?.table?.rows.find((r) => r[0] === 'dash-e2e-flag');
      if (row?.[1] === 'on') on.add(doc.answeredBy);
      else await page.waitForTimeout(200);
    }
    expect(on.size).toBe(2);

    for (const id of ['flags', 'realtime', 'qr', 'attendance', 'matchmaking']) {
      await page.locator(`#panel-${id} h3`).waitFor({ timeout: 20_000 });
      expect(await page.locator(`#panel-${id} .error`).count(), id).toBe(0);
    }
    expect(await page.textContent('#panel-realtime')).toMatch(/plexus-admin/);
    await page.locator('#panels').screenshot({ path: `${ARTIFACTS}/panels.png` });
  }, 90_000);

  it('marks a SIGKILLed worker dead and lists its replacement, without reloading; the WebSocket moves', async () => {
    const before = await waitForRows((r) => r.filter((x) => x.state === 'running').length >= 2, 30_000);
    // The worker whose WebSocket pushes to the page: the page polls while it reconnects, then is
    // pushed to by the other worker.
    await page.locator('#indicator-text', { hasText: 'Live · over WebSocket' }).waitFor({ timeout: 20_000 });
    const pusher = await page.getAttribute('#indicator', 'data-instance');
    const victim = before.find((r) => r.id === pusher && r.state === 'running')!;
    expect(victim).toBeDefined();
    const marker = await page.evaluate('window.__marker = Math.random()');
    process.kill(victim.pid, 'SIGKILL');
    const after = await waitForRows(
      (r) =>
        r.some((x) => x.id === victim.id && x.state === 'dead') &&
        r.filter((x) => x.state === 'running' && x.id !== victim.id).length >= 2,
      150_000,
    );
    expect(after.find((x) => x.id === victim.id)?.state).toBe('dead');
    expect(await page.textContent(`tr[data-instance="${victim.id}"]`)).toMatch(/dead/);
    // The same document: nothing reloaded it.
    expect(await page.evaluate('window.__marker')).toBe(marker);
    await page.locator('#indicator-text', { hasText: 'Live · over WebSocket' }).waitFor({ timeout: 60_000 });
    expect(await page.getAttribute('#indicator', 'data-instance')).not.toBe(victim.id);
    await page.screenshot({ path: `${ARTIFACTS}/worker-killed.png`, fullPage: true });
  }, 200_000);

  it('says degraded and keeps showing this instance while Redis is stopped, and returns after', async () => {
    // Sessions live in Redis, so during an outage an operator uses the admin token (the page says so
    // to a session it cannot check). Sign out, then in with the token.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 20_000 });
    await page.getByText('Use the admin token instead').click();
    await page.getByLabel('PLEXUS_ADMIN_TOKEN').fill(TOKEN);
    await page.getByRole('button', { name: 'Use token' }).click();
    await page.locator('#indicator[data-state="live"]').waitFor({ timeout: 20_000 });
    expect(await page.textContent('#who')).toMatch(/admin token/);
    // A browser cannot send the token on a WebSocket: refused, the page polls instead.
    await page.locator('#indicator-text', { hasText: 'Live · polling' }).waitFor({ timeout: 20_000 });
    await waitForRows((r) => r.filter((x) => x.state === 'running').length >= 2, 30_000);

    await redis.stop();
    await page.locator('#indicator[data-state="degraded"]').waitFor({ timeout: 30_000 });
    expect(await page.textContent('#indicator')).toMatch(/Degraded: this instance only/);
    const alone = await waitForRows((r) => r.length === 1, 20_000);
    expect(alone[0]!.state).toBe('running');
    expect(alive(alone[0]!.pid)).toBe(true);
    expect(await page.textContent('#totals')).toMatch(/this instance only/);
    await page.screenshot({ path: `${ARTIFACTS}/degraded.png`, fullPage: true });

    await redis.restart();
    await page.locator('#indicator[data-state="live"]').waitFor({ timeout: 60_000 });
    await waitForRows((r) => r.filter((x) => x.state === 'running').length >= 2, 60_000);
    expect(await page.textContent('#indicator')).toMatch(/Live/);
  }, 150_000);
});

describe.skipIf(run)('the admin dashboard in Chromium', () => {
  it.skip('needs chromium (apt-get install chromium)', () => {});
});
