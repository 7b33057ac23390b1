/**
 * The bus through a Redis Cluster failover: the master that owns a family's channel is SIGKILLed;
 * its replica is promoted. The layer stays ready (the other masters answer), so nothing but the
 * client's own handling brings the sharded subscription back: this checks that delivery between
 * two instances resumes on the promoted master, and counts what was missed meanwhile.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bus } from '../../src/bus/index.js';
import { RedisLayer } from '../../src/redis/layer.js';
import { hashSlot } from '../../src/redis/topology/slot.js';
import { type RedisClusterHandle, startCluster } from '../support/topology.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('bus through a Cluster failover', () => {
  let cluster: RedisClusterHandle;
  const layers: RedisLayer[] = [];

  beforeAll(async () => {
    cluster = await startCluster();
  }, 60_000);

  afterAll(async () => {
    await Promise.all(layers.map((l) => l.close()));
    await cluster?.stop();
  });

  it('resumes delivery once the family’s shard has a new master', async () => {
    const config = cluster.config({ REDIS_HEALTH_INTERVAL_MS: '200', REDIS_BREAKER_RESET_MS: '200' });
    const [pub, sub] = [new RedisLayer(config), new RedisLayer(config)];
    layers.push(pub, sub);
    await Promise.all([pub.connect(), sub.connect()]);
    const a = new Bus(pub, { instanceId: 'a', maxPayloadBytes: 1024 });
    const b = new Bus(sub, { instanceId: 'b', maxPayloadBytes: 1024 });
    const got: number[] = [];
    await b.subscribe('app:failover:*', (n: number) => {
      got.push(n);
    });
    await a.publish('app:failover:ping', 0);
    await expect.poll(() => got.includes(0), { timeout: 5000 }).toBe(true);

    const master = await cluster.masterOfSlot(hashSlot(pub.keys.bus.family('app', 'failover')));
    await master.kill();
    const killedAt = Date.now();
    let n = 0;
    // Publish every 50 ms until b receives again; messages in between are missed or lost.
    do {
      await a.publish('app:failover:ping', ++n);
      await sleep(50);
    } while (!got.includes(n) && Date.now() - killedAt < 30_000);
    const resumedAfter = Date.now() - killedAt;
    expect(got.at(-1), `no delivery ${resumedAfter} ms after the kill`).toBe(n);
    expect(n).toBeGreaterThan(5); // the outage was real
    const stats = a.stats();
    expect(stats.published).toBe(n + 1);
    expect(pub.state).toBe('ready');
    console.log(
      `bus failover: delivery resumed ${resumedAfter} ms after the kill; ${n} published meanwhile, ` +
        `${stats.missed} counted missed, ${got.length - 1} delivered`,
    );
  }, 60_000);
});
