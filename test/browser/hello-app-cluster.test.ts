/**
 * Seed 004's hello-app-cluster page in a real browser (Debian's chromium, driven by playwright-core),
 * against two reference servers in this process on different ports, sharing one Redis prefix and
 * one SQLite file. Each page shows the value and the instance serving it; an admin signed in on
 * instance A changes it through A's page, and the page open on instance B shows the new value,
 * served by B, without a reload (the settings refresh broadcast on plexus.bus, then Server-Sent
 * Events). A stale page's save is refused (409) rather than overwriting. The page renders under its
 * strict CSP, loads nothing from elsewhere, logs no error, and works from the keyboard.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Running, startServer } from '../integration/server/harness.js';
import { uniquePrefix } from '../support/redis.js';
import { FAST_HASHING, PASSWORD, redisEnv } from '../support/sessions-helpers.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
// CI installs chromium (.ci/run); elsewhere the test says why it did not run.
const run = CHROMIUM !== undefined || process.env.CI === 'true';
const ADMIN = 'admin@example.com';

describe.runIf(run)('hello-app-cluster page in Chromium, two instances', () => {
  let dir: string;
  let browser: Browser;
  const servers: Running[] = [];
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    if (CHROMIUM === undefined) throw new Error('chromium is not installed (apt-get install chromium)');
    dir = mkdtempSync(join(tmpdir(), 'plexus-hello-cluster-'));
    const env = {
      ...redisEnv(uniquePrefix('hello-cluster')),
      DATABASE_URL: `sqlite:${join(dir, 'plexus.db')}`,
      PLEXUS_APPS: '',
      ...FAST_HASHING,
    };
    // One at a time: the first creates the tables.
    for (let i = 0; i < 2; i++) servers.push(await startServer({ env }));
    await servers[0]!.plexus.auth.accounts.create({ login: ADMIN, password: PASSWORD, roles: ['admin'] });
    await servers[0]!.plexus.auth.accounts.create({
      login: 'bob@example.com',
      password: PASSWORD,
      roles: ['staff'],
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 120_000);

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    for (const server of servers) await server.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  /** A page on `server` in a browser context of its own (its own cookies), watched for problems. */
  async function open(server: Running, problems: string[]): Promise<Page> {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('request', (request) => {
      if (new URL(request.url()).origin !== server.url) problems.push(`request elsewhere: ${request.url()}`);
    });
    const response = await page.goto(`${server.url}/hello-app-cluster`);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await expect
      .poll(() => page.locator('#status').getAttribute('data-instance'), { timeout: 20_000 })
      .toBe(server.plexus.instanceId);
    return page;
  }

  async function signIn(page: Page, login: string): Promise<void> {
    await page.getByLabel('Login').fill(login);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByLabel('Password').press('Enter');
  }

  it('a change made through the page on instance A appears on the page of instance B without reload', async () => {
    const [a, b] = servers as [Running, Running];
    expect(a.plexus.instanceId).not.toBe(b.plexus.instanceId);
    const problems: string[] = [];
    const pageA = await open(a, problems);
    const pageB = await open(b, problems);
    for (const [page, server] of [
      [pageA, a],
      [pageB, b],
    ] as const) {
      await expect.poll(() => page.locator('#value').textContent()).toBe('Hello from the cluster');
      expect(await page.locator('#instance').textContent()).toBe(server.plexus.instanceId);
      // Not signed in: the sign-in form, no change form.
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      expect(await page.locator('#change-form').isHidden()).toBe(true);
    }
    let navigationsB = 0;
    pageB.on('framenavigated', () => navigationsB++);

    // A non-admin gets no change form.
    await signIn(pageB, 'bob@example.com');
    await pageB.locator('#result', { hasText: 'not an administrator' }).waitFor();
    expect(await pageB.locator('#change-form').isHidden()).toBe(true);

    await signIn(pageA, ADMIN);
    const input = pageA.getByLabel('New value');
    await input.waitFor();
    await expect.poll(() => pageA.evaluate(() => document.activeElement?.id)).toBe('new-value');
    await input.fill('Hi from A');
    await input.press('Enter');
    await pageA.locator('#result', { hasText: 'Saved as version 1.' }).waitFor();

    // B's page: the new value, read and served by B, pushed without a reload.
    await pageB.locator('#value', { hasText: 'Hi from A' }).waitFor({ timeout: 10_000 });
    expect(await pageB.locator('#instance').textContent()).toBe(b.plexus.instanceId);
    expect(await pageB.locator('#version').textContent()).toBe('1');
    expect(await pageB.locator('#updated-by').textContent()).toMatch(/^user:/);
    await pageB.locator('#log li', { hasText: 'Version 1: “Hi from A”' }).waitFor();
    expect(navigationsB).toBe(0);
    // And A's page shows it as A serves it.
    await pageA.locator('#value', { hasText: 'Hi from A' }).waitFor();
    expect(await pageA.locator('#instance').textContent()).toBe(a.plexus.instanceId);

    // A change made elsewhere (B's admin API, here plexus.settings on B) reaches A's page too.
    await b.plexus.settings.set('hello-app-cluster', 'message', 'Hi from B', { by: 'test' });
    await pageA.locator('#value', { hasText: 'Hi from B' }).waitFor({ timeout: 10_000 });
    await pageB.locator('#value', { hasText: 'Hi from B' }).waitFor({ timeout: 10_000 });
    expect(problems).toEqual([]);
  }, 90_000);

  it('a save from a page that has not seen the latest version is refused, not overwriting', async () => {
    const [a, b] = servers as [Running, Running];
    const problems: string[] = [];
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => problems.push(error.message));
    // This page's stream never answers, so it keeps showing the version it first read.
    await page.route('**/api/1/hello-app-cluster/events', () => {});
    await page.goto(`${a.url}/hello-app-cluster`);
    await page.locator('#value', { hasText: 'Hi from B' }).waitFor();
    const seen = Number(await page.locator('#value').getAttribute('data-version'));
    await signIn(page, ADMIN);
    await page.getByLabel('New value').waitFor();
    await b.plexus.settings.set('hello-app-cluster', 'message', 'Hi again from B', { by: 'test' });
    expect(Number(await page.locator('#value').getAttribute('data-version'))).toBe(seen);
    await page.getByLabel('New value').fill('lost update');
    await page.getByRole('button', { name: 'Save on this instance' }).click();
    await page.locator('#result', { hasText: 'Someone changed it first' }).waitFor();
    // Nothing overwritten, and the page now shows the value that won.
    expect((await a.plexus.settings.get('hello-app-cluster', 'message'))!.value).toBe('Hi again from B');
    await page.locator('#value', { hasText: 'Hi again from B' }).waitFor();
    expect(Number(await page.locator('#value').getAttribute('data-version'))).toBe(seen + 1);
    expect(problems).toEqual([]);
  }, 60_000);
});
