/**
 * The bus across real processes: three instances on one Redis (their own redis-server, which the
 * test kills and restarts) and on a Redis Cluster (sharded pub/sub). A message reaches every
 * instance; `omitSelf` is respected; with Redis dead, delivery is local only and the publisher's
 * `missed` count grows; once Redis is back, delivery is cluster-wide again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BusStats, PublishResult } from '../../src/bus/index.js';
import {
  type RedisClusterHandle,
  type RedisSingleHandle,
  startCluster,
  startSingle,
} from '../support/topology.js';
import { type InstanceProcess, startInstances } from './instances-processes.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const FAST_HEALTH = { REDIS_HEALTH_INTERVAL_MS: '200', REDIS_BREAKER_RESET_MS: '200' };

async function until(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

const got = (i: InstanceProcess, n: number, self?: boolean) =>
  i.delivered.filter(
    (d) => (d.data as { n: number }).n === n && (self === undefined || d.message.self === self),
  );

async function subscribeAll(instances: InstanceProcess[]): Promise<void> {
  for (const i of instances) await i.call('subscribe', { channel: 'app:chat:*', omitSelf: false });
  await instances[1]!.call('subscribe', { channel: 'app:chat:msg', omitSelf: true });
}

async function checkFanOut(instances: InstanceProcess[]): Promise<void> {
  const [a, b, c] = instances as [InstanceProcess, InstanceProcess, InstanceProcess];
  const result = await a.call<PublishResult>('publish', { channel: 'app:chat:msg', data: { n: 1 } });
  expect(result).toEqual({ local: 1, sent: true });
  // a and c once each; b twice (its omitSelf subscription takes others' messages).
  await until(
    'n=1 everywhere',
    () => got(a, 1).length === 1 && got(b, 1).length === 2 && got(c, 1).length === 1,
  );
  expect(got(a, 1)[0]!.message).toMatchObject({ self: true, source: a.instanceId });
  expect(got(c, 1)[0]!.message).toMatchObject({ self: false, source: a.instanceId, channel: 'app:chat:msg' });

  await b.call('publish', { channel: 'app:chat:msg', data: { n: 2 } });
  await until(
    'n=2 everywhere',
    () => got(a, 2).length === 1 && got(c, 2).length === 1 && got(b, 2).length >= 1,
  );
  await sleep(200);
  expect(got(b, 2)).toHaveLength(1); // only the plain subscription: omitSelf skipped its own
}

describe('bus across three processes on one Redis', () => {
  let redis: RedisSingleHandle;
  let instances: InstanceProcess[] = [];

  beforeAll(async () => {
    redis = await startSingle();
    instances = await startInstances(3, {
      REDIS_MODE: 'single',
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: redis.config().keyPrefix,
      ...FAST_HEALTH,
    });
    await subscribeAll(instances);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(instances.map((i) => i.kill()));
    await redis?.stop();
  });

  it('reaches every instance and respects omitSelf', () => checkFanOut(instances));

  it('delivers locally and counts missed messages while Redis is dead, cluster-wide again after', async () => {
    const [a, b, c] = instances as [InstanceProcess, InstanceProcess, InstanceProcess];
    const state = (i: InstanceProcess) => i.call<{ state: string; bus: BusStats }>('state');
    const missedBefore = (await state(a)).bus.missed;

    await redis.node.kill();
    await until('every instance degraded', async () =>
      (await Promise.all(instances.map(state))).every((s) => s.state === 'degraded'),
    );
    expect(await a.call('publish', { channel: 'app:chat:msg', data: { n: 3 } })).toEqual({
      local: 1,
      sent: false,
    });
    expect(await a.call('publish', { channel: 'app:chat:msg', data: { n: 4 } })).toEqual({
      local: 1,
      sent: false,
    });
    await until('local delivery', () => got(a, 3).length === 1 && got(a, 4).length === 1);
    expect((await state(a)).bus.missed).toBe(missedBefore + 2);
    await sleep(300);
    expect([...got(b, 3), ...got(c, 3), ...got(b, 4), ...got(c, 4)]).toEqual([]);

    await redis.node.restart();
    await until('every instance ready', async () =>
      (await Promise.all(instances.map(state))).every((s) => s.state === 'ready'),
    );
    // Subscriptions are re-established right after the reconnection; publish until they are.
    let n = 100;
    await until(
      'delivery to b and c again',
      async () => {
        await a.call('publish', { channel: 'app:chat:msg', data: { n: ++n } });
        await sleep(100);
        return got(b, n, false).length > 0 && got(c, n).length > 0;
      },
      10_000,
    );
    const missedAfter = (await state(a)).bus.missed;
    await a.call('publish', { channel: 'app:chat:msg', data: { n: 999 } });
    await until('n=999 everywhere', () => got(b, 999).length === 2 && got(c, 999).length === 1);
    expect((await state(a)).bus.missed).toBe(missedAfter);
  }, 45_000);
});

describe('bus across three processes on a Redis Cluster', () => {
  let cluster: RedisClusterHandle;
  let instances: InstanceProcess[] = [];

  beforeAll(async () => {
    cluster = await startCluster();
    instances = await startInstances(3, {
      REDIS_MODE: 'cluster',
      REDIS_CLUSTER_NODES: cluster.seeds,
      REDIS_KEY_PREFIX: cluster.config().keyPrefix,
    });
    await subscribeAll(instances);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(instances.map((i) => i.kill()));
    await cluster?.stop();
  });

  it('reaches every instance through sharded pub/sub and respects omitSelf', () => checkFanOut(instances));
});
