/**
 * Redis killed, then paused (SIGSTOP), under traffic, with two reference servers in this process on
 * this file's own redis-server: publishing never hangs, this instance's connections keep receiving
 * (offset 0, counted as missed for the others), presence answers locally; when Redis is back,
 * delivery across instances and presence come back by themselves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RealtimeEndpoint } from '../../../src/realtime/index.js';
import { uniquePrefix } from '../../support/redis.js';
import { type RedisSingleHandle, startSingle } from '../../support/topology.js';
import type { Running } from '../server/harness.js';
import { Client, eventually, sleep, startHubs, tokenFor, wsUrl } from './harness.js';

const EP = 'jpulse-ws-test';

describe('realtime through a Redis outage', () => {
  let redis: RedisSingleHandle;
  let hubs: Running[] = [];
  let a: Client;
  let b: Client;
  let api: RealtimeEndpoint;
  let n = 0;
  let slowestMs = 0;

  const publish = async () => {
    const started = Date.now();
    const result = await api.toRoom('o', 'tick', { n: ++n });
    slowestMs = Math.max(slowestMs, Date.now() - started);
    return result;
  };
  const ns = (c: Client) => c.messages('room:o').map((m) => (m.d as { n: number }).n);
  const state = (i: number) => hubs[i]!.plexus.redis.state;

  beforeAll(async () => {
    redis = await startSingle();
    hubs = await startHubs(2, {
      REDIS_MODE: 'single',
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: uniquePrefix('rtout'),
      REDIS_COMMAND_TIMEOUT_MS: '200',
      REDIS_BREAKER_RESET_MS: '200',
      REDIS_HEALTH_INTERVAL_MS: '200',
    });
    a = await Client.open(wsUrl(hubs[0]!, EP, `?token=${tokenFor(hubs[0]!, EP, { id: 'ann', roles: [] })}`));
    b = await Client.open(wsUrl(hubs[1]!, EP, `?token=${tokenFor(hubs[1]!, EP, { id: 'ben', roles: [] })}`));
    await a.request({ t: 'join', room: 'o' });
    await b.request({ t: 'join', room: 'o' });
    api = hubs[0]!.plexus.realtime.endpoint(EP);
  }, 60_000);

  afterAll(async () => {
    a?.close();
    b?.close();
    await Promise.all(hubs.map((hub) => hub.stop()));
    await redis?.stop();
  });

  async function outage(cut: () => Promise<void> | void, heal: () => Promise<void> | void) {
    expect((await publish()).offset).toBeGreaterThan(0);
    await b.until('delivery before', () => ns(b).includes(n));
    await cut();
    // Traffic through the cut: every publish settles quickly.
    let local = 0;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const { offset } = await publish();
      if (offset === 0 && state(0) === 'degraded') {
        local++;
        if (local >= 10) break;
      }
      await sleep(20);
    }
    expect(local).toBe(10);
    const cutAt = n;
    await a.until('local delivery', () => ns(a).includes(cutAt));
    expect(hubs[0]!.plexus.realtime.localStats().missed).toBeGreaterThan(0);
    expect(await api.presence('o')).toEqual({ users: 1, connections: 1, instances: 1 });
    await heal();
    await eventually('both ready', () => state(0) === 'ready' && state(1) === 'ready', 20_000);
    // Delivery across instances, and presence, come back by themselves.
    await eventually(
      'delivery after',
      async () => {
        await publish();
        await sleep(50);
        return ns(b).includes(n);
      },
      20_000,
    );
    await eventually('presence restored', async () => (await api.presence('o')).users === 2, 10_000);
    expect(await api.presence('o')).toEqual({ users: 2, connections: 2, instances: 2 });
    expect(slowestMs).toBeLessThan(2000);
    // Nobody got a message twice.
    for (const c of [a, b]) expect(new Set(ns(c)).size).toBe(ns(c).length);
  }

  it('keeps local delivery while Redis is killed, and recovers when it restarts', async () => {
    await outage(
      () => redis.node.kill(),
      () => redis.node.restart(),
    );
  }, 60_000);

  it('keeps local delivery while Redis is paused, and recovers when it resumes', async () => {
    await outage(
      () => redis.node.pause(),
      () => redis.node.resume(),
    );
  }, 60_000);
});
