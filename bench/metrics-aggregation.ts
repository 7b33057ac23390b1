/**
 * /api/1/metrics with 100 instances: 100 realistic reports (10 servers × 10 instances, built from
 * this process's own report) are written to Redis, then the document is produced repeatedly:
 *   - registry.document(): read (instances_list script + one MGET) + parse + aggregate;
 *   - buildDocument() alone: the aggregation by rules;
 *   - GET /api/1/metrics through Fastify (inject): the above plus auth, schema serialisation.
 * Baseline, same run: raw node-redis ZRANGE of the index + MGET of the 100 reports + JSON.parse,
 * the least any implementation must do to read them. Target: document() p99 < 10 ms.
 * Run: npx tsx bench/metrics-aggregation.ts   (REDIS_URL, ITERATIONS=300, INSTANCES=100)
 */
import { createClient } from 'redis';
import { createPlexus } from '../src/index.js';
import { buildDocument, type InstanceReport } from '../src/instances/index.js';
import { instancesReport } from '../src/instances/scripts.js';
import { createServer } from '../src/server/index.js';

const URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ITERATIONS = Number(process.env.ITERATIONS ?? 300);
const INSTANCES = Number(process.env.INSTANCES ?? 100);
const TOKEN = 'bench-metrics-admin-token';

const plexus = createPlexus({
  env: {
    REDIS_MODE: 'single',
    REDIS_URL: URL,
    REDIS_KEY_PREFIX: `bench-metrics-${process.pid}`,
    DATABASE_URL: 'sqlite::memory:',
    PLEXUS_ADMIN_TOKEN: TOKEN,
    INSTANCES_REPORT_INTERVAL_MS: '60000',
    INSTANCES_TTL_MS: '120000',
  },
});
await plexus.start();
const server = createServer(plexus);
await server.app.ready();
const keys = plexus.redis.keys.instances;

// 100 reports shaped like real ones: this process's report with other ids, servers and figures.
await plexus.instances.beat();
const template = plexus.instances.current();
const ids: string[] = [];
for (let i = 0; i < INSTANCES; i++) {
  const id = `web${String(Math.floor(i / 10)).padStart(2, '0')}-${1000 + i}-bench`;
  ids.push(id);
  const report: InstanceReport = {
    ...template,
    id,
    serverName: `web${String(Math.floor(i / 10)).padStart(2, '0')}.example.com`,
    pid: 1000 + i,
    memory: { ...template.memory, rss: template.memory.rss + i * 1024 },
    cpu: { percent: i % 100 },
    websocket: {
      connections: i,
      messages: i * 10,
      namespaces: [
        { path: '/ws/chat', connections: i, messages: i * 7, lastActivity: Date.now() },
        { path: `/ws/room-${i % 5}`, connections: 1, messages: 3, lastActivity: null },
      ],
    },
    counters: { 'orders.created': i, 'orders.refunded': i % 7 },
  };
  await plexus.redis.store.runScript(
    instancesReport,
    [keys.report(id), keys.index()],
    [JSON.stringify(report), 120_000, id],
  );
}

const raw = createClient({ url: URL });
await raw.connect();

async function time(label: string, fn: () => Promise<unknown> | unknown): Promise<number[]> {
  for (let i = 0; i < 30; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  const p = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  console.log(
    `  ${label.padEnd(44)} p50 ${p(0.5).toFixed(3).padStart(7)} ms  p99 ${p(0.99).toFixed(3).padStart(7)} ms`,
  );
  return [p(0.5), p(0.99)];
}

const listing = await plexus.instances.list();
console.log(
  `/api/1/metrics with ${listing.instances.length} instances on ${new Set(listing.instances.map((i) => i.report.serverName)).size} servers, ${ITERATIONS} iterations`,
);
const [base50, base99] = await time('baseline: raw ZRANGE + MGET + JSON.parse', async () => {
  const members = await raw.zRange(keys.index(), 0, -1);
  const values = await raw.mGet(members.map((id) => keys.report(id)));
  return values.map((v) => (v === null ? null : JSON.parse(v)));
});
const [doc50, doc99] = await time('registry.document() (read + aggregate)', () =>
  plexus.instances.document(),
);
await time('buildDocument() only (aggregation)', () =>
  buildDocument({ instances: listing.instances, source: 'cluster', counters: {}, now: listing.now }),
);
const [http50, http99] = await time('GET /api/1/metrics (Fastify inject)', async () => {
  const response = await server.app.inject({
    url: '/api/1/metrics',
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}: ${response.body}`);
});
console.log(
  `  ratio document()/baseline  p50 ${(doc50! / base50!).toFixed(2)}x  p99 ${(doc99! / base99!).toFixed(2)}x`,
);
console.log(
  `  ratio HTTP/baseline        p50 ${(http50! / base50!).toFixed(2)}x  p99 ${(http99! / base99!).toFixed(2)}x`,
);
console.log(`  target document() p99 < 10 ms: ${doc99! < 10 ? 'met' : 'NOT met'}`);

await plexus.redis.store.del([...ids.map((id) => keys.report(id)), keys.index()]);
await raw.close();
await server.stop();
