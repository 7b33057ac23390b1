/**
 * The cluster-wide Prometheus exposition across real processes on one Redis: three instances,
 * each its own Node process; any of them answers /metrics/cluster with all three, labelled
 * `instance`; a SIGKILLed one is gone once its figures expire (INSTANCES_TTL_MS).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSeries } from '../support/prometheus.js';
import { TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { type InstanceProcess, startInstances } from './instances-processes.js';

const TOKEN = 'prometheus-processes-token';
const TTL_MS = 2000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function instancesIn(instance: InstanceProcess): Promise<string[]> {
  const response = await fetch(`${instance.url}/metrics/cluster`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  expect(response.status).toBe(200);
  const series = parseSeries(await response.text());
  return [
    ...new Set(series.get('process_resident_memory_bytes')!.map((s) => s.labels?.instance ?? '')),
  ].sort();
}

describe('cluster-wide exposition across three processes', () => {
  let instances: InstanceProcess[];

  beforeAll(async () => {
    instances = await startInstances(3, {
      REDIS_MODE: 'single',
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: uniquePrefix('prom-processes'),
      METRICS_TOKEN: TOKEN,
      INSTANCES_REPORT_INTERVAL_MS: '300',
      INSTANCES_TTL_MS: String(TTL_MS),
      METRICS_PUBLISH_INTERVAL_MS: '300',
    });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.stop()));
  });

  it('shows every process from any of them, and drops a killed one', async () => {
    const ids = instances.map((i) => i.instanceId).sort();
    await sleep(700); // every instance has published at least once
    for (const instance of instances) expect(await instancesIn(instance)).toEqual(ids);

    const killed = instances.pop()!;
    await killed.kill();
    await sleep(TTL_MS + 500);
    expect(await instancesIn(instances[0]!)).toEqual(ids.filter((id) => id !== killed.instanceId));
  }, 30_000);
});
