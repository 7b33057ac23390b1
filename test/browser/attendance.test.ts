/**
 * The attendance pages in a real browser (Debian's chromium, driven by playwright-core), under
 * their strict CSP, loading nothing from elsewhere and logging no error:
 *  - the display shows a code that decodes (independent decoder) to a check-in URL the API accepts,
 *    and shows another one after the period;
 *  - a student on a 360-px phone opens that URL, takes a photo (a file given to the camera input)
 *    and checks in; the display's count follows;
 *  - the staff page is used from the keyboard only;
 *  - the volunteer page decodes a student's code from Chromium's fake camera (a Y4M file) and
 *    checks the student in.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  baseEnv,
  call,
  cookieFor,
  importStalls,
  importStudents,
  openRollCall,
} from '../integration/attendance/support.js';
import { qrOf, type Running, startServer } from '../integration/server/harness.js';
import { decodeSvg } from '../support/qr-decode.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
const run = CHROMIUM !== undefined || process.env.CI === 'true';
const PHONE = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

/** A Y4M video (what Chromium's fake camera reads) showing an RGBA image on white, 640x480. */
function y4m(png: Buffer): Buffer {
  const image = PNG.sync.read(png);
  const [w, h] = [640, 480];
  const y = Buffer.alloc(w * h, 255);
  const ox = Math.floor((w - image.width) / 2);
  const oy = Math.floor((h - image.height) / 2);
  for (let row = 0; row < image.height; row++) {
    for (let col = 0; col < image.width; col++) {
      const i = (row * image.width + col) * 4;
      const luma = Math.round(
        0.299 * image.data[i]! + 0.587 * image.data[i + 1]! + 0.114 * image.data[i + 2]!,
      );
      y[(row + oy) * w + col + ox] = luma;
    }
  }
  const chroma = Buffer.alloc((w / 2) * (h / 2) * 2, 128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), y, chroma]);
  return Buffer.concat([Buffer.from(`YUV4MPEG2 W${w} H${h} F10:1 Ip A1:1 C420jpeg\n`), frame, frame, frame]);
}

describe.runIf(run)('attendance pages in Chromium', () => {
  let server: Running;
  let browser: Browser;
  let dir: string;
  let staff: string;

  beforeAll(async () => {
    if (CHROMIUM === undefined) throw new Error('chromium is not installed (apt-get install chromium)');
    dir = mkdtempSync(join(tmpdir(), 'plexus-att-browser-'));
    server = await startServer({
      env: baseEnv({ PLEXUS_DATA_DIR: dir }, { REDIS_URL: 'redis://127.0.0.1:6379' }),
    });
    await importStudents(server, ['alice', 'bob']);
    await importStalls(server, ['S1']);
    staff = await cookieFor(server, 'teacher', ['staff']);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  async function open(
    context: BrowserContext,
    path: string,
  ): Promise<{ page: Page; problems: string[]; origins: Set<string> }> {
    const page = await context.newPage();
    const problems: string[] = [];
    const origins = new Set<string>();
    page.on('request', (request) => origins.add(new URL(request.url()).origin));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${server.url}${path}`);
    return { page, problems, origins };
  }

  async function signedIn(cookie: string, options: object = {}): Promise<BrowserContext> {
    const context = await browser.newContext(options);
    const [name, value] = cookie.split('=') as [string, string];
    await context.addCookies([{ name, value, url: server.url }]);
    return context;
  }

  async function shownCode(page: Page): Promise<{ url: string; window: string }> {
    const img = page.locator('#code');
    await img.waitFor({ state: 'visible' });
    const window = (await img.getAttribute('data-window'))!;
    const src = (await img.getAttribute('src'))!;
    const svg = await (await page.request.get(new URL(src, server.url).toString())).text();
    return { url: decodeSvg(svg)!.text, window };
  }

  it('the display shows a code that decodes to a check-in URL, changes after the period, and counts a phone check-in with a photo', async () => {
    const sessionId = await openRollCall(server.url, { photoRequired: true });
    const display = await signedIn(staff);
    const { page, problems, origins } = await open(display, `/attendance/display/${sessionId}`);
    await page.getByRole('heading', { name: 'Databases 101' }).waitFor();
    const first = await shownCode(page);
    expect(first.url).toMatch(new RegExp(`^${server.url}/attendance/c/${sessionId}\\.`));
    const code = first.url.split('/').at(-1)!;
    expect((await call(server.url, 'GET', `/codes/${code}`)).body.valid).toBe(true);
    // Polled through a locator: the page's CSP has no 'unsafe-eval', which a string predicate needs.
    await expect
      .poll(() => page.locator('#code').getAttribute('data-window'), { timeout: 12_000, interval: 250 })
      .not.toBe(first.window);
    const second = await shownCode(page);
    expect(second.url).not.toBe(first.url);
    await expect(page.locator('#count').textContent()).resolves.toBe('0');

    // A student's phone opens the URL inside the code and checks in with a photo, keyboard only.
    const phone = await signedIn(await cookieFor(server, 'alice', ['student']), PHONE);
    const student = await open(phone, new URL(second.url).pathname);
    const input = student.page.getByLabel('Take a photo of yourself in the room');
    await input.waitFor();
    const photo = PNG.sync.write(Object.assign(new PNG({ width: 8, height: 8 }), {}));
    await input.setInputFiles({ name: 'selfie.png', mimeType: 'image/png', buffer: photo });
    await student.page.getByRole('button', { name: 'Check in with this photo' }).focus();
    await student.page.keyboard.press('Enter');
    await student.page.getByText(/^Checked in at /).waitFor();
    expect(await student.page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(
      360,
    );
    await page.locator('#count', { hasText: '1' }).waitFor({ timeout: 5_000 });

    for (const seen of [{ problems, origins }, student]) {
      expect(seen.problems).toEqual([]);
      expect([...seen.origins]).toEqual([new URL(server.url).origin]);
    }
    await display.close();
    await phone.close();
  }, 60_000);

  it('a display link shows the code and live count with no staff sign-in, and stops when revoked', async () => {
    const sessionId = await openRollCall(server.url);
    const made = await call(server.url, 'POST', `/sessions/${sessionId}/display-links`, { cookie: staff });
    expect(made.status, made.text).toBe(200);
    const link = made.body.url as string;
    const projector = await browser.newContext();
    const { page, problems, origins } = await open(projector, new URL(link).pathname + new URL(link).hash);
    await page.getByRole('heading', { name: 'Databases 101' }).waitFor();
    const first = await shownCode(page);
    expect(first.url).toMatch(new RegExp(`^${server.url}/attendance/c/${sessionId}\\.`));
    expect((await call(server.url, 'GET', `/codes/${first.url.split('/').at(-1)}`)).body.valid).toBe(true);
    // Live over the display endpoint: the socket is open, and a check-in's count arrives through it.
    await page.locator('main[data-realtime="open"]').waitFor({ timeout: 10_000 });
    const checked = await call(server.url, 'POST', '/checkins', {
      cookie: `${await cookieFor(server, 'bob', ['student'])}; plexus_device=${'b'.repeat(22)}`,
      body: { code: first.url.split('/').at(-1) },
    });
    expect(checked.status, checked.text).toBe(200);
    // The count may come by a poll that crossed the message; the next code comes by the socket.
    await page.locator('#count', { hasText: '1' }).waitFor({ timeout: 10_000 });
    await page.locator('#code[data-via="realtime"]').waitFor({ timeout: 15_000 });
    expect(await projector.cookies()).toEqual([]);
    expect(problems).toEqual([]);
    expect([...origins]).toEqual([new URL(server.url).origin]);

    const revoked = await call(
      server.url,
      'DELETE',
      `/sessions/${sessionId}/display-links/${(made.body.link as { id: string }).id}`,
      {
        cookie: staff,
      },
    );
    expect(revoked.status).toBe(200);
    await page.locator('main[data-link="invalid"]').waitFor({ timeout: 5_000 });
    expect(await page.locator('#code').isHidden()).toBe(true);
    await projector.close();
  }, 60_000);

  it('refuses an expired code on the student page with the reason', async () => {
    const sessionId = await openRollCall(server.url);
    const codes = (
      server.plexus.apps as {
        attendance: { rollCalls: { codes: { issue(id: string, w: number): string; windowAt(): number } } };
      }
    ).attendance.rollCalls.codes;
    const expired = codes.issue(sessionId, codes.windowAt() - 5);
    const phone = await signedIn(await cookieFor(server, 'bob', ['student']), PHONE);
    const { page, problems } = await open(phone, `/attendance/c/${expired}`);
    await page
      .getByRole('status')
      .getByText('This code has expired. Scan the code on the screen again.')
      .waitFor();
    expect(problems).toEqual([]);
    await phone.close();
  });

  it('the staff page works from the keyboard on a phone', async () => {
    const context = await signedIn(staff, PHONE);
    const { page, problems } = await open(context, '/attendance/staff');
    const name = page.getByLabel('Course name');
    await name.waitFor();
    await name.focus();
    await page.keyboard.type('Keyboard Course');
    await page.keyboard.press('Enter');
    await page.getByRole('status').getByText('Course added.').waitFor();
    await page
      .getByLabel('Course', { exact: true })
      .locator('option', { hasText: 'Keyboard Course' })
      .waitFor({ state: 'attached' });
    await page.getByLabel('Course', { exact: true }).selectOption({ label: 'Keyboard Course' });
    await page.getByLabel('Room').focus();
    await page.keyboard.type('A-1');
    await page.keyboard.press('Enter');
    await page.getByRole('status').getByText('Roll call opened.').waitFor();
    await page.getByRole('heading', { name: /Check-ins: Keyboard Course, room A-1/ }).waitFor();
    await page.getByRole('button', { name: 'Create display link' }).focus();
    await page.keyboard.press('Enter');
    const linkField = page.getByLabel(/Display link for a projector/);
    await expect
      .poll(() => linkField.inputValue(), { timeout: 5_000 })
      .toMatch(/\/attendance\/display\/[a-z0-9]+#link=/);
    const token = new URL(await linkField.inputValue()).hash.slice('#link='.length);
    expect((await call(server.url, 'GET', `/display-links/${token}/display`)).body).toMatchObject({
      name: 'Keyboard Course',
    });
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('the volunteer page decodes a student code from the fake camera and checks the student in', async () => {
    const image = await qrOf(server).getImage('student', 'bob', { format: 'png', size: 320 });
    const video = join(dir, 'camera.y4m');
    writeFileSync(video, y4m(image.body));
    const camera = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-video-capture=${video}`,
      ],
    });
    try {
      const context = await camera.newContext(PHONE);
      const volunteer = await cookieFor(server, 'helper', ['volunteer']);
      const [name, value] = volunteer.split('=') as [string, string];
      await context.addCookies([{ name, value, url: server.url }]);
      await context.grantPermissions(['camera'], { origin: server.url });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(error.message));
      await page.goto(`${server.url}/attendance/stall/S1`);
      await page.getByRole('heading', { name: 'Stall: Stall S1' }).waitFor();
      await page.getByRole('button', { name: 'Start camera' }).click();
      await page
        .getByRole('status')
        .getByText('Student bob (bob) is now checked in.')
        .waitFor({ timeout: 20_000 });
      const stats = await call(server.url, 'GET', '/stalls/S1', { cookie: volunteer });
      expect(stats.body).toMatchObject({ occupancy: 1, visits: 1 });
      expect(problems).toEqual([]);
    } finally {
      await camera.close();
    }
  }, 60_000);
});

describe.skipIf(run)('attendance pages in Chromium', () => {
  it.skip('needs chromium (apt-get install chromium)', () => {});
});
