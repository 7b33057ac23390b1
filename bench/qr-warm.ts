/**
 * QR warming throughput and the size of a cached image in Redis.
 *
 * 25,000 students in an embedded database file; each run empties the QR cache and warms every
 * student's default PNG into Redis (a redis-server of its own, or REDIS_URL) through
 * `warmStudentQRCache()`, with 0, 1 and 2 render worker threads, and through the `students` warm
 * target as `plexus warm-cache students` runs it. Baselines measured in the same run: the `qrcode`
 * package's own PNG path (`QRCode.toBuffer`), rendering alone on this thread, and raw node-redis
 * SETs of the same bytes, 128 in flight (the Redis write floor). Then MEMORY USAGE of every cached
 * image key, the number the 1.5 KB target is about. Rounds alternate, the best of each counts.
 *
 * Run: npx tsx bench/qr-warm.ts   (STUDENTS=25000 ROUNDS=2)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import QRCode from 'qrcode';
import { createClient } from 'redis';
import { qrApp } from '../src/apps/qr/app.js';
import { renderImage } from '../src/apps/qr/image/render.js';
import { createPlexus, type PlexusWith } from '../src/index.js';

type Plexus = PlexusWith<[typeof qrApp]>;

import { RedisProcess } from '../test/support/redis-process.js';

// A redis-server of its own (other processes' traffic on a shared one would be noise), or REDIS_URL.
const ownRedis = process.env.REDIS_URL === undefined ? await RedisProcess.start() : undefined;
const REDIS_URL = process.env.REDIS_URL ?? `redis://${ownRedis!.address}`;
const STUDENTS = Number(process.env.STUDENTS ?? 25_000);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const prefix = `bench-qr-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'plexus-bench-qr-'));
const env = {
  REDIS_URL,
  REDIS_KEY_PREFIX: prefix,
  DATABASE_URL: `sqlite:${join(dir, 'qr.db')}`,
  QR_SECRET: 'bench-secret-0123456789abcdef',
  LOG_LEVEL: 'silent',
};

const rate = (n: number, ms: number) => (n * 1000) / ms;
const fmt = (x: number) => Math.round(x).toLocaleString('en-US').padStart(8);

async function plexusWith(extra: Record<string, string>): Promise<Plexus> {
  const plexus = createPlexus({ apps: [qrApp], env: { ...env, ...extra } });
  await plexus.start();
  return plexus;
}

const setup = await plexusWith({});
const ids = Array.from({ length: STUDENTS }, (_, i) => String(100_000 + i));
await setup.apps.qr.importRoster(
  'student',
  `id,name\n${ids.map((id) => `${id},Student ${id}`).join('\n')}\n`,
);
const tokens = ids
  .slice(0, 2000)
  .map((id) => setup.apps.qr.tokens.issue({ type: 'student', id, version: 1 }));
console.log(
  `${STUDENTS.toLocaleString('en-US')} students; Redis ${REDIS_URL}; ${ROUNDS} rounds, best counts\n`,
);

const raw = createClient({ url: REDIS_URL });
await raw.connect();

type Run = () => Promise<number>;
const runs: [string, Run][] = [
  [
    'qrcode.toBuffer (baseline, 500 images)',
    async () => {
      const started = performance.now();
      for (let i = 0; i < 500; i++)
        await QRCode.toBuffer(tokens[i]!, { errorCorrectionLevel: 'M', width: 300, margin: 4 });
      return rate(500, performance.now() - started);
    },
  ],
  [
    'render only, this thread (2,000 images)',
    async () => {
      const started = performance.now();
      for (const token of tokens) renderImage(token, { format: 'png', size: 300, margin: 4 }, 'M');
      return rate(tokens.length, performance.now() - started);
    },
  ],
  [
    `raw SET of ${STUDENTS.toLocaleString('en-US')} images, 128 in flight (baseline)`,
    async () => {
      const body = renderImage(tokens[0]!, { format: 'png', size: 300, margin: 4 }, 'M').body;
      const started = performance.now();
      let next = 0;
      const loop = async () => {
        while (next < STUDENTS) {
          const i = next++;
          await raw.set(`${prefix}:raw:${i}`, body, { PX: 60_000 });
        }
      };
      await Promise.all(Array.from({ length: 128 }, loop));
      return rate(STUDENTS, performance.now() - started);
    },
  ],
];
for (const workers of ['0', '1', '2']) {
  runs.push([
    `warmStudentQRCache, ${workers} worker thread${workers === '1' ? '' : 's'}`,
    async () => {
      const plexus = await plexusWith({ QR_WARM_WORKERS: workers });
      try {
        await plexus.apps.qr.clearQRCache();
        const report = await plexus.apps.qr.warmStudentQRCache();
        if (report.loaded !== STUDENTS || report.failed > 0)
          throw new Error(`bad warm: ${JSON.stringify(report)}`);
        return report.rate;
      } finally {
        await plexus.close();
      }
    },
  ]);
}
runs.push([
  'plexus warm-cache students (target, CACHE_WARM_CONCURRENCY 8)',
  async () => {
    const plexus = await plexusWith({});
    try {
      await plexus.apps.qr.clearQRCache();
      const report = await plexus.cache.warmTarget('students');
      if (report.loaded !== STUDENTS || report.failed > 0)
        throw new Error(`bad warm: ${JSON.stringify(report)}`);
      return report.rate;
    } finally {
      await plexus.close();
    }
  },
]);

const best = new Map<string, number>();
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of runs) best.set(name, Math.max(best.get(name) ?? 0, await run()));
}
const baseline = best.get(runs[0]![0])!;
console.log('images per second');
for (const [name] of runs) {
  const value = best.get(name)!;
  console.log(`  ${name.padEnd(62)} ${fmt(value)}/s   x${(value / baseline).toFixed(1)} qrcode`);
}

// Bytes per cached image: MEMORY USAGE of every image key (value, key name and Redis overhead).
let keys = 0;
let memory = 0;
let payload = 0;
for await (const batch of raw.scanIterator({ MATCH: `${prefix}:cache:e:qr/students:*`, COUNT: 1000 })) {
  for (const key of batch) {
    keys++;
    memory += (await raw.memoryUsage(key)) ?? 0;
    payload += await raw.strLen(key);
  }
}
const png = renderImage(tokens[0]!, { format: 'png', size: 300, margin: 4 }, 'M').body.length;
console.log('\ncached images in Redis');
console.log(`  keys                                ${keys.toLocaleString('en-US')}`);
console.log(`  PNG, 297x297 px, version 2           ${png} bytes`);
console.log(`  stored value (envelope + token + ETag + PNG)  ${Math.round(payload / keys)} bytes`);
console.log(`  MEMORY USAGE per key (target <= 1536)  ${Math.round(memory / keys)} bytes`);
const stats = await setup.apps.qr.getQRCacheStats();
console.log(
  `  getQRCacheStats(): ${stats.students.entries} entries, ~${Math.round(stats.students.bytes / Math.max(1, stats.students.entries))} bytes each (sample of ${stats.students.sampled})`,
);

await setup.apps.qr.clearQRCache();
for await (const batch of raw.scanIterator({ MATCH: `${prefix}:*`, COUNT: 1000 }))
  if (batch.length > 0) await raw.unlink(batch);
await raw.close();
await setup.close();
await ownRedis?.destroy();
rmSync(dir, { recursive: true, force: true });
