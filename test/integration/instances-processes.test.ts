/**
 * The instance registry across real processes, on one Redis and on a Redis Cluster: three
 * instances serve HTTP; any of them shows all three in /api/1/metrics; a SIGKILLed instance is
 * shown stale and then disappears within its report TTL; a gracefully stopped one disappears at
 * once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, startSingle } from '../support/topology.js';
import { type InstanceProcess, startInstances } from './instances-processes.js';

const TOKEN = 'instances-test-admin-token';
const INTERVAL_MS = 300;
const TTL_MS = 2000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Doc {
  source: string;
  statistics: { totalInstances: number; runningProcesses: number; stoppedProcesses: number };
  servers: { instances: { id: string; statusDetail: string }[] }[];
}

async function metrics(instance: InstanceProcess): Promise<Doc> {
  const response = await fetch(`${instance.url}/api/1/metrics`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Doc;
}

const ids = (doc: Doc) => doc.servers.flatMap((s) => s.instances.map((i) => i.id)).sort();

const TOPOLOGIES = [
  {
    name: 'single',
    async start() {
      const redis = await startSingle();
      const env = { REDIS_MODE: 'single', REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.config().keyPrefix };
      return { env, stop: () => redis.stop() };
    },
  },
  {
    name: 'cluster',
    async start() {
      const cluster = await startCluster();
      const env = {
        REDIS_MODE: 'cluster',
        REDIS_CLUSTER_NODES: cluster.seeds,
        REDIS_KEY_PREFIX: cluster.config().keyPrefix,
      };
      return { env, stop: () => cluster.stop() };
    },
  },
];

describe.each(TOPOLOGIES)('instance registry across three processes on $name', (topology) => {
  let deployment: Awaited<ReturnType<(typeof TOPOLOGIES)[number]['start']>>;
  let instances: InstanceProcess[] = [];

  beforeAll(async () => {
    deployment = await topology.start();
    instances = await startInstances(3, {
      ...deployment.env,
      PLEXUS_ADMIN_TOKEN: TOKEN,
      INSTANCES_REPORT_INTERVAL_MS: String(INTERVAL_MS),
      INSTANCES_TTL_MS: String(TTL_MS),
    });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(instances.map((i) => i.kill()));
    await deployment?.stop();
  });

  it('lists every instance; a SIGKILLed one vanishes within the TTL, a stopped one at once', async () => {
    const [a, b, c] = instances as [InstanceProcess, InstanceProcess, InstanceProcess];
    const all = [a.instanceId, b.instanceId, c.instanceId].sort();
    expect(ids(await metrics(a))).toEqual(all);
    // Freshly started processes on a loaded machine: a report may be a beat late (stale) or sent
    // before the layer was ready. Wait, within a bound, for a document that shows all three running.
    let doc = await metrics(b);
    for (
      let deadline = Date.now() + 10_000;
      doc.statistics.runningProcesses !== 3 && Date.now() < deadline;
    ) {
      await sleep(100);
      doc = await metrics(b);
    }
    expect(doc).toMatchObject({ source: 'cluster', statistics: { totalInstances: 3, runningProcesses: 3 } });

    await c.kill();
    const killedAt = Date.now();
    let sawStale = false;
    let goneAfter: number | undefined;
    while (Date.now() - killedAt < TTL_MS + 3000) {
      const current = await metrics(a);
      if (
        current.servers.some((s) =>
          s.instances.some((i) => i.id === c.instanceId && i.statusDetail === 'stale'),
        )
      ) {
        sawStale = true;
      }
      if (!ids(current).includes(c.instanceId)) {
        goneAfter = Date.now() - killedAt;
        break;
      }
      await sleep(50);
    }
    expect(goneAfter, 'the killed instance never disappeared').toBeDefined();
    // Its last report was at most one interval before the kill, so it expires within the TTL.
    expect(goneAfter!).toBeLessThanOrEqual(TTL_MS + 250);
    expect(sawStale).toBe(true);

    await b.stop();
    const stoppedAt = Date.now();
    expect(ids(await metrics(a))).toEqual([a.instanceId]);
    expect(Date.now() - stoppedAt).toBeLessThan(1000);
  }, 30_000);
});
