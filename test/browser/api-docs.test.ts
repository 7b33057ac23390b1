/**
 * The API documentation page in a real browser (Debian's chromium, driven by playwright-core):
 * Swagger UI renders the document under the page's strict Content-Security-Policy, loads nothing
 * from anywhere but the server, logs no error, and can be used from the keyboard.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Running, startServer } from '../integration/server/harness.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
// CI installs chromium (.ci/run); elsewhere the test says why it did not run.
const run = CHROMIUM !== undefined || process.env.CI === 'true';

describe.runIf(run)('GET /api/docs in Chromium', () => {
  let server: Running;
  let browser: Browser;

  beforeAll(async () => {
    if (CHROMIUM === undefined) throw new Error('chromium is not installed (apt-get install chromium)');
    server = await startServer();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('renders every route group, loads only from the server, and logs no error', async () => {
    const page = await browser.newPage();
    const origins = new Set<string>();
    const problems: string[] = [];
    page.on('request', (request) => origins.add(new URL(request.url()).origin));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${server.url}/api/docs/`);
    await page
      .getByRole('heading', { name: /Plexus/ })
      .first()
      .waitFor({ timeout: 20_000 });
    await page.getByText('/api/1/auth/login').first().waitFor();
    await page.getByText('/api/1/qr/verify').first().waitFor();
    expect([...origins]).toEqual([new URL(server.url).origin]);
    expect(problems).toEqual([]);

    // An operation opens from the keyboard.
    const login = page.locator('.opblock-summary-control', { hasText: '/api/1/auth/login' }).first();
    await login.focus();
    await page.keyboard.press('Enter');
    await page.getByText('Request body').first().waitFor();
    await page.close();
  });
});

describe.skipIf(run)('GET /api/docs in Chromium', () => {
  it.skip('needs chromium (apt-get install chromium)', () => {});
});
