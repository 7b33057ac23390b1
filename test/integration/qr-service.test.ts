/**
 * The QR service as a library: roster import and token versions on both database engines,
 * memory mode, the JWT format, key rotation, the production secret check, the `plexus import`
 * command, and warming through worker threads into a real Redis.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { qrApp } from '../../src/apps/qr/app.js';
import { runImport } from '../../src/apps/qr/cli/import.js';
import { QRRepository } from '../../src/apps/qr/db/repository.js';
import { qrMemoryUsage } from '../../src/apps/qr/usage.js';
import { createPlexus, type PlexusWith } from '../../src/index.js';

type Plexus = PlexusWith<[typeof qrApp]>;

import { MemoryStore } from '../../src/redis/memory/memory-store.js';
import { decodePng, decodeSvg } from '../support/qr-decode.js';
import { TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { type EngineTarget, postgresTarget, sqliteTarget } from './db/fixtures.js';

const SECRET = 'qr-service-test-secret-0123456789';
const roster = (ids: string[]) => `id,name\n${ids.map((id) => `${id},Name of ${id}`).join('\n')}\n`;

const open: Plexus[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});

async function plexusWith(env: Record<string, string>): Promise<Plexus> {
  const plexus = createPlexus({
    apps: [qrApp],
    env: { REDIS_MODE: 'memory', DATABASE_URL: 'sqlite::memory:', QR_SECRET: SECRET, ...env },
  });
  open.push(plexus);
  await plexus.start();
  return plexus;
}

describe.each([
  ['sqlite', sqliteTarget],
  ['postgres', postgresTarget],
] as const)('rosters on %s', (_, makeTarget) => {
  let target: EngineTarget;
  afterAll(async () => target?.drop());

  it('imports, renames without revoking, pages in id order and bumps versions', async () => {
    target = makeTarget();
    // An empty DATABASE_URL means the embedded engine in PLEXUS_DATA_DIR; PostgreSQL's env sets it.
    const plexus = await plexusWith({ DATABASE_URL: '', ...target.env });
    const qr = plexus.apps.qr;
    const ids = Array.from({ length: 1200 }, (_, i) => `S${String(i).padStart(5, '0')}`);
    const first = await qr.importRoster('student', `${roster(ids)}bad id,x\n`);
    expect(first).toMatchObject({ rows: 1201, imported: 1200, inserted: 1200, updated: 0, unchanged: 0 });
    expect(first.skipped).toEqual([
      { line: 1202, id: 'bad id', reason: expect.stringMatching(/^id must be/) },
    ]);
    expect(await qr.repository.count('student')).toBe(1200);

    const token = (await qr.getStudentQRById('S00007')).qr_token;
    const again = await qr.importRoster(
      'student',
      'id,name\nS00007,Renamed\nS00008,Name of S00008\nNEW,New one\n',
    );
    expect(again).toMatchObject({ inserted: 1, updated: 1, unchanged: 1 });
    expect(await qr.verifyQRToken(token)).toEqual({
      valid: true,
      type: 'student',
      id: 'S00007',
      name: 'Renamed',
    });

    const page = await qr.repository.page('student', 'S00998', 5);
    expect(page.map((r) => r.id)).toEqual(['S00999', 'S01000', 'S01001', 'S01002', 'S01003']);
    expect(await qr.revoke('student', 'S00007')).toBe(2);
    expect(await qr.revoke('student', 'S00007')).toBe(3);
    expect(await qr.verifyQRToken(token)).toEqual({ valid: false, error: 'revoked' });
    await expect(qr.revoke('student', 'NOBODY')).rejects.toMatchObject({ code: 'QR_NOT_FOUND' });
    // Stalls are a separate roster.
    expect(await qr.repository.find('stall', 'S00007')).toBeUndefined();
  });
});

describe('QR service', () => {
  it('works in memory mode: the cache is this process, warming fills it', async () => {
    const plexus = await plexusWith({});
    const qr = plexus.apps.qr;
    await qr.importRoster('stall', roster(['A', 'B', 'C']));
    const report = await plexus.cache.warmTarget('stalls');
    expect(report).toMatchObject({ done: 3, loaded: 3, failed: 0 });
    const image = await qr.getImage('stall', 'B');
    expect(image.cached).toBe(true);
    expect(decodePng(image.body)?.text).toBe(image.token);
    expect(await qr.verifyStudentQRToken(image.token)).toEqual({ valid: false, error: 'unknown' });
    expect(await qr.verifyQRToken(image.token)).toMatchObject({ valid: true, type: 'stall', id: 'B' });
    expect(await qr.clearQRCache()).toBeGreaterThanOrEqual(3);
    expect((await qr.getImage('stall', 'B')).cached).toBe(false);
    const stats = await qr.getQRCacheStats();
    expect(stats).toMatchObject({ connected: false, totalQRsCached: 1 });
  });

  it('issues HS256 JWTs when configured, which decode from the image and verify', async () => {
    const plexus = await plexusWith({ QR_TOKEN_FORMAT: 'jwt', QR_KEY_ID: '4' });
    await plexus.apps.qr.importRoster('student', roster(['42']));
    const result = await plexus.apps.qr.getStudentQRById('42');
    expect(result.qr_token.split('.')).toHaveLength(3);
    const image = Buffer.from(result.qr_image.split(',')[1]!, 'base64');
    expect(decodePng(image)?.text).toBe(result.qr_token);
    const svg = await plexus.apps.qr.getImage('student', '42', { format: 'svg' });
    expect(decodeSvg(svg.body.toString())?.text).toBe(result.qr_token);
    expect(await plexus.apps.qr.verifyStudentQRToken(result.qr_token)).toEqual({
      valid: true,
      type: 'student',
      id: '42',
      name: 'Name of 42',
    });
  });

  it('rotates keys: old codes verify while the old key is listed, new images use the new key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plexus-qr-rotation-'));
    try {
      const db = { DATABASE_URL: `sqlite:${join(dir, 'qr.db')}` };
      const before = await plexusWith({ ...db, QR_KEY_ID: '1', QR_SECRET: SECRET });
      await before.apps.qr.importRoster('student', roster(['7']));
      const oldToken = (await before.apps.qr.getStudentQRById('7')).qr_token;

      const during = await plexusWith({
        ...db,
        QR_KEY_ID: '2',
        QR_SECRET: 'the-new-secret-0123456789',
        QR_PREVIOUS_KEYS: `1:${SECRET}`,
      });
      expect(await during.apps.qr.verifyQRToken(oldToken)).toMatchObject({ valid: true, id: '7' });
      const newToken = (await during.apps.qr.getStudentQRById('7')).qr_token;
      expect(newToken).not.toBe(oldToken);
      expect(await during.apps.qr.verifyQRToken(newToken)).toMatchObject({ valid: true, id: '7' });

      const after = await plexusWith({ ...db, QR_KEY_ID: '2', QR_SECRET: 'the-new-secret-0123456789' });
      expect(await after.apps.qr.verifyQRToken(oldToken)).toEqual({ valid: false, error: 'tampered' });
      expect(await after.apps.qr.verifyQRToken(newToken)).toMatchObject({ valid: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('requires QR_SECRET in production, and refuses weak or duplicate keys', async () => {
    const production = createPlexus({
      apps: [qrApp],
      env: {
        REDIS_MODE: 'memory',
        DATABASE_URL: 'sqlite::memory:',
        NODE_ENV: 'production',
        PLEXUS_ADMIN_TOKEN: 'x'.repeat(20),
        SESSION_SECRET: 's'.repeat(40),
      },
    });
    expect(() => production.apps.qr).toThrow(/QR_SECRET/);
    const short = createPlexus({ apps: [qrApp], env: { REDIS_MODE: 'memory', QR_SECRET: 'short' } });
    expect(() => short.apps.qr).toThrow(/at least 16/);
    expect(() =>
      createPlexus({
        apps: [qrApp],
        env: { REDIS_MODE: 'memory', QR_SECRET: SECRET, QR_PREVIOUS_KEYS: '1:x' },
      }),
    ).not.toThrow();
    const duplicate = createPlexus({
      apps: [qrApp],
      env: { REDIS_MODE: 'memory', QR_SECRET: SECRET, QR_PREVIOUS_KEYS: `1:${'y'.repeat(20)}` },
    });
    expect(() => duplicate.apps.qr).toThrow(/twice/);
    expect(() => createPlexus({ apps: [qrApp], env: { QR_PREVIOUS_KEYS: 'no-id-here' } })).toThrow(
      /id:secret/,
    );
  });

  it('warms a real Redis through worker threads; every image decodes and verifies', async () => {
    const plexus = await plexusWith({
      REDIS_MODE: 'single',
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: uniquePrefix('qr'),
      QR_WARM_WORKERS: '2',
      QR_WARM_BATCH_SIZE: '50',
    });
    const ids = Array.from({ length: 300 }, (_, i) => String(i + 1));
    await plexus.apps.qr.importRoster('student', roster(ids));
    const progress: number[] = [];
    const report = await plexus.apps.qr.warmStudentQRCache({
      formats: ['png', 'svg'],
      onProgress: (p) => progress.push(p.done),
      progressIntervalMs: 0,
    });
    expect(report).toMatchObject({ done: 600, total: 600, loaded: 600, failed: 0, aborted: false });
    expect(progress.at(-1)).toBe(600);
    const again = await plexus.apps.qr.warmStudentQRCache();
    expect(again).toMatchObject({ done: 300, loaded: 0, skipped: 300 });
    for (const id of ids.filter((_, i) => i % 30 === 0)) {
      const png = await plexus.apps.qr.getImage('student', id);
      const svg = await plexus.apps.qr.getImage('student', id, { format: 'svg' });
      expect(png.cached && svg.cached).toBe(true);
      expect(decodePng(png.body)?.text).toBe(png.token);
      expect(decodeSvg(svg.body.toString())?.text).toBe(png.token);
      expect(await plexus.apps.qr.verifyStudentQRToken(png.token)).toMatchObject({ valid: true, id });
    }
    const stats = await plexus.apps.qr.getQRCacheStats();
    expect(stats.students.entries).toBe(600);
    await plexus.apps.qr.clearQRCache();
  });
});

describe('qr_memory_usage', () => {
  it('has a MemoryStore twin that measures the value and the key, 0 when missing', async () => {
    const store = new MemoryStore();
    try {
      await store.set('k', Buffer.alloc(600));
      expect(await store.runScript(qrMemoryUsage, ['k'], [])).toBe(601);
      expect(await store.runScript(qrMemoryUsage, ['missing'], [])).toBe(0);
    } finally {
      store.close();
    }
  });
});

describe('plexus import', () => {
  it('imports good rows, lists bad ones, and exits 1 when any was skipped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plexus-qr-import-'));
    const plexus = await plexusWith({});
    const repository = new QRRepository(plexus.db);
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: { write: (t: string) => out.push(t) }, err: { write: (t: string) => err.push(t) } };
    try {
      const good = join(dir, 'stalls.csv');
      writeFileSync(good, 'stall_id,stall_name\nF1,Food\nB2,Books\n');
      expect(await runImport(repository, 'stall', good, {}, io)).toBe(0);
      expect(out.join('')).toContain('2 rows: 2 stalls added, 0 renamed, 0 unchanged, 0 skipped');

      out.length = 0;
      const mixed = join(dir, 'students.csv');
      writeFileSync(mixed, 'id,name\n1,Ada\n1,Again\n,Nobody\n2,"Bob ""B"" Smith"\n');
      expect(await runImport(repository, 'student', mixed, { dryRun: true }, io)).toBe(1);
      expect(await repository.count('student')).toBe(0);
      expect(await runImport(repository, 'student', mixed, {}, io)).toBe(1);
      expect(await repository.count('student')).toBe(2);
      expect(out.join('')).toContain('line 3 (id "1"): duplicate id, first on line 2');
      expect(out.join('')).toContain('line 4: id is empty');
      expect((await repository.find('student', '2'))?.name).toBe('Bob "B" Smith');

      const headerless = join(dir, 'bad.csv');
      writeFileSync(headerless, 'number,title\n1,x\n');
      expect(await runImport(repository, 'student', headerless, {}, io)).toBe(1);
      expect(await runImport(repository, 'student', join(dir, 'missing.csv'), {}, io)).toBe(1);
      expect(err.join('')).toMatch(/id column[\s\S]*cannot read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
