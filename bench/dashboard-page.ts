/**
 * The admin page's load in Chromium against `plexus start --workers 2` (the built copy,
 * bin/plexus.js; run `npm run build` first) on a real Redis (REDIS_URL, a key prefix of its own):
 * from navigation to the page showing both workers, a plot with points and the live indicator on
 * (first document in). Signed in with an admin session; LOADS fresh page loads (new tab each).
 * Baseline in the same run: the same navigation to GET /api/1/status (a JSON document, no script).
 * Run: npx tsx bench/dashboard-page.ts   (REDIS_URL, LOADS=20, WAIT_MS=15000: history to let accumulate)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { runNode } from '../test/e2e/cli-process.js';
import { allocatePort, releasePort } from '../test/support/ports.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const LOADS = Number(process.env.LOADS ?? 20);
const WAIT_MS = Number(process.env.WAIT_MS ?? 15_000);
const ADMIN = { login: 'bench-admin@example.com', password: 'bench-admin-password-1' };
const dir = mkdtempSync(`${tmpdir()}/plexus-dash-page-`);
const port = await allocatePort();
const url = `http://127.0.0.1:${port}`;
const cli = runNode(
  [`${ROOT}bin/plexus.js`, 'start', '--host', '127.0.0.1', '--port', String(port), '--workers', '2'],
  {
    env: {
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: `bench-dash-page-${process.pid}`,
      DATABASE_URL: `sqlite:${dir}/plexus.db`,
      PLEXUS_ADMIN_EMAIL: ADMIN.login,
      PLEXUS_ADMIN_PASSWORD: ADMIN.password,
      PASSWORD_SCRYPT_COST: '10',
    },
  },
);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  await cli.waitFor(/Plexus listening on .* with 2 workers/, 200_000);
  await new Promise((resolve) => setTimeout(resolve, WAIT_MS));
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const signIn = await context.request.post(`${url}/api/1/auth/login`, {
    data: { login: ADMIN.login, password: ADMIN.password },
  });
  if (!signIn.ok()) throw new Error(`sign-in: ${signIn.status()}`);

  async function sample(label: string, once: () => Promise<number>) {
    await once(); // warm-up
    const times: number[] = [];
    for (let i = 0; i < LOADS; i++) times.push(await once());
    times.sort((a, b) => a - b);
    const q = (f: number) => times[Math.min(times.length - 1, Math.floor(f * times.length))]!;
    console.log(
      `  ${label.padEnd(58)} p50 ${q(0.5).toFixed(0).padStart(5)} ms  max ${q(1).toFixed(0).padStart(5)} ms`,
    );
    return q(0.5);
  }
  console.log(`Page load, ${LOADS} loads each, plexus start --workers 2 (history: ${WAIT_MS / 1000} s)`);
  const status = await sample('baseline: navigate to GET /api/1/status', async () => {
    const page = await context.newPage();
    const start = performance.now();
    await page.goto(`${url}/api/1/status`);
    const ms = performance.now() - start;
    await page.close();
    return ms;
  });
  const admin = await sample('/admin: both workers, a plot with points, live', async () => {
    const page = await context.newPage();
    const start = performance.now();
    await page.goto(`${url}/admin`);
    await page.waitForFunction(
      () =>
        document.querySelectorAll('tr.instance[data-state="running"]').length >= 2 &&
        Number(document.querySelector('#plot-requests')?.getAttribute('data-points') ?? 0) > 0 &&
        document.querySelector('#indicator')?.getAttribute('data-state') === 'live',
      undefined,
      { timeout: 30_000, polling: 'raf' },
    );
    const ms = performance.now() - start;
    await page.close();
    return ms;
  });
  console.log(`  ratio /admin / status: ${(admin / status).toFixed(1)}x`);
} finally {
  await browser.close();
  cli.child.kill('SIGTERM');
  await cli.exited;
  releasePort(port);
  rmSync(dir, { recursive: true, force: true });
}
