/**
 * The matchmaking player page (`/matchmaking/`) in a real browser (Debian's chromium, driven by
 * playwright-core), against two reference servers (in process, real HTTP) on one Redis and one
 * SQLite file, with the pairing and pool jobs running. Two players sign in on two pages, one per
 * instance (one of them a phone-sized viewport, driven from the keyboard), join, and both pages
 * show the same match and hear of it over the WebSocket (the second one also in its join's answer:
 * its partner was waiting); the first page shows the live search window
 * while it waits. A third page whose WebSockets are cut (playwright closes every one it opens) still
 * learns of its match by polling `status`. The page loads nothing from elsewhere and logs no error.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Running, startServer } from '../integration/server/harness.js';
import { uniquePrefix } from '../support/redis.js';
import { redisEnv } from '../support/sessions-helpers.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
// CI installs chromium (.ci/run); elsewhere the test says why it did not run.
const run = CHROMIUM !== undefined || process.env.CI === 'true';
const PASSWORD = 'correct horse battery';

describe.runIf(run)('matchmaking player page in Chromium, two instances', () => {
  let dir: string;
  let browser: Browser;
  let a: Running;
  let b: Running;

  beforeAll(async () => {
    if (CHROMIUM === undefined) throw new Error('chromium is not installed (apt-get install chromium)');
    dir = mkdtempSync(join(tmpdir(), 'plexus-mm-browser-'));
    const env = {
      ...redisEnv(uniquePrefix('mm-browser')),
      DATABASE_URL: `sqlite:${join(dir, 'mm.db')}`,
      PLEXUS_APPS: 'matchmaking',
      MATCHMAKING_PAIR_INTERVAL_MS: '20',
    };
    a = await startServer({ env });
    b = await startServer({ env });
    for (const login of ['alice', 'bob', 'carol', 'dave'])
      await a.plexus.auth.accounts.create({ login, password: PASSWORD, roles: ['player'] });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([a?.stop(), b?.stop()]);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  async function open(server: Running, problems: string[], viewport?: { width: number; height: number }) {
    const page = await browser.newPage(viewport === undefined ? {} : { viewport });
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('request', (request) => {
      if (new URL(request.url()).origin !== new URL(server.url).origin)
        problems.push(`request elsewhere: ${request.url()}`);
    });
    return page;
  }

  async function signIn(page: Page, server: Running, login: string, problems: string[]): Promise<void> {
    const response = await page.goto(`${server.url}/matchmaking/`);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.getByLabel('Login').waitFor();
    // Signed out, the page's first question (GET /api/1/auth/me) is answered 401, which Chromium
    // logs; that one is expected, anything after it is not.
    expect(problems).toEqual([
      'Failed to load resource: the server responded with a status of 401 (Unauthorized)',
    ]);
    problems.length = 0;
    await page.getByLabel('Login').fill(login);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Join the queue' }).waitFor();
  }

  const match = (page: Page) =>
    page.locator('#match:not([hidden])').evaluate((el: HTMLElement) => ({ ...el.dataset }));

  it('matches two players on two pages on two instances, both told over the WebSocket', async () => {
    const problems: string[] = [];
    const one = await open(a, problems);
    const two = await open(b, problems, { width: 360, height: 740 });
    await signIn(one, a, 'alice', problems);
    await signIn(two, b, 'bob', problems);
    for (const page of [one, two])
      await expect.poll(() => page.locator('#connection').getAttribute('data-state')).toBe('open');

    // Alice waits alone: the page shows her search window widening live.
    await one.getByLabel('Game mode').selectOption('1v1');
    await one.getByRole('button', { name: 'Join the queue' }).click();
    await one.getByRole('heading', { name: 'Searching…' }).waitFor();
    await expect.poll(() => one.locator('#position').textContent()).toBe('1');
    const window0 = Number((await one.locator('#window').textContent())!.slice(1));
    await expect
      .poll(() => one.locator('#waited').textContent(), { timeout: 10_000 })
      .toMatch(/^[1-9]\d* s$/);
    await expect
      .poll(async () => Number((await one.locator('#window').textContent())!.slice(1)), { timeout: 10_000 })
      .toBeGreaterThan(window0);

    // Bob joins from the keyboard on a phone-sized page on the other instance.
    await two.getByRole('button', { name: 'Join the queue' }).focus();
    await two.keyboard.press('Enter');
    await one.locator('#match:not([hidden])').waitFor({ timeout: 15_000 });
    await two.locator('#match:not([hidden])').waitFor({ timeout: 15_000 });
    const [m1, m2] = [await match(one), await match(two)];
    expect(m1.id).toBeTruthy();
    expect(m2.id).toBe(m1.id);
    // Alice waited: the hub told her. Bob's partner was waiting: his own join answered with the
    // match (pairing at join), and the hub's event reached his page too.
    expect(m1.via).toBe('websocket');
    expect(['join', 'websocket']).toContain(m2.via);
    await expect.poll(async () => (await match(two)).websocket).toBe('yes');
    for (const page of [one, two]) {
      const teams = await page.locator('#teams li').allTextContents();
      expect(teams).toHaveLength(2);
      expect(teams.filter((t) => t.includes('you'))).toHaveLength(1);
    }
    // The phone page does not scroll sideways.
    expect(await two.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    expect(problems).toEqual([]);
  }, 120_000);

  it('learns of the match by polling status when the WebSocket is cut', async () => {
    const problems: string[] = [];
    const page = await open(a, problems);
    // Every WebSocket the page opens is closed at once, before it says anything.
    await page.routeWebSocket(/\/api\/1\/ws\//, (ws) => ws.close({ code: 1011, reason: 'cut by the test' }));
    await signIn(page, a, 'carol', problems);
    await page.getByRole('button', { name: 'Join the queue' }).click();
    await page.getByRole('heading', { name: 'Searching…' }).waitFor();
    expect(await page.locator('#connection').getAttribute('data-state')).not.toBe('open');

    // Dave joins over the API on the other instance.
    const login = await fetch(`${b.url}/api/1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'dave', password: PASSWORD }),
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const joined = await fetch(`${b.url}/api/1/matchmaking/join`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: '{}',
    });
    expect(joined.status).toBe(200);
    await page.locator('#match:not([hidden])').waitFor({ timeout: 15_000 });
    expect((await match(page)).via).toBe('polling');
    expect(await page.locator('#match-via').textContent()).toBe('by polling the status');
    expect((await match(page)).websocket).toBe('no');
    expect(problems.filter((p) => !/WebSocket/.test(p))).toEqual([]);
  }, 120_000);
});
