/**
 * A master failover (on Cluster the master of the room's slot, on Sentinel the master, SIGKILLed
 * either way) while messages flow
 * to a room with members on two of three in-process reference servers: publishing never hangs,
 * delivery resumes by itself after the replica takes over, nobody gets a message twice, and a
 * client that recovers from the last offset it saw gets the rest of the stream in order, or is told
 * to resync when the failover lost the stream's history (asynchronous replication).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RealtimeEndpoint } from '../../../src/realtime/index.js';
import { hashSlot } from '../../../src/redis/topology/slot.js';
import { uniquePrefix } from '../../support/redis.js';
import { startCluster, startSentinel } from '../../support/topology.js';
import type { Running } from '../server/harness.js';
import { Client, eventually, sleep, startHubs, wsUrl } from './harness.js';

const EP = 'jpulse-ws-test';

/** A deployment: its settings, a failover of the master that holds `key`, and its stop. */
interface Deployment {
  env: Record<string, string>;
  failover(key: string): Promise<void>;
  stop(): Promise<void>;
}

const deployments: { name: string; start(): Promise<Deployment> }[] = [
  {
    name: 'Cluster',
    async start() {
      const cluster = await startCluster();
      return {
        env: { REDIS_MODE: 'cluster', REDIS_CLUSTER_NODES: cluster.seeds },
        failover: async (key) => {
          await cluster.failover(await cluster.masterOfSlot(hashSlot(key)));
        },
        stop: () => cluster.stop(),
      };
    },
  },
  {
    name: 'Sentinel',
    async start() {
      const sentinel = await startSentinel();
      return {
        env: {
          REDIS_MODE: 'sentinel',
          REDIS_SENTINELS: sentinel.sentinelAddresses,
          REDIS_SENTINEL_MASTER: sentinel.masterName,
        },
        failover: async () => {
          await sentinel.failover();
        },
        stop: () => sentinel.stop(),
      };
    },
  },
];

describe.each(deployments)('realtime through a $name master failover', (deployment) => {
  let cluster: Deployment;
  let hubs: Running[] = [];
  let api: RealtimeEndpoint;
  let traffic: Promise<void> | undefined;
  let running = true;
  let slowestMs = 0;
  let n = 0;

  beforeAll(async () => {
    cluster = await deployment.start();
    hubs = await startHubs(3, {
      ...cluster.env,
      REDIS_KEY_PREFIX: uniquePrefix('rtfo'),
      REDIS_COMMAND_TIMEOUT_MS: '300',
      REDIS_HEALTH_INTERVAL_MS: '200',
      REDIS_BREAKER_RESET_MS: '200',
    });
    api = hubs[0]!.plexus.realtime.endpoint(EP);
  }, 90_000);

  afterAll(async () => {
    running = false;
    await traffic;
    await Promise.all(hubs.map((hub) => hub.stop()));
    await cluster?.stop();
  });

  it('resumes delivery after the failover and recovers what it can by offset', async () => {
    const one = await Client.open(wsUrl(hubs[1]!, EP));
    const two = await Client.open(wsUrl(hubs[2]!, EP));
    await one.request({ t: 'join', room: 'f' });
    await two.request({ t: 'join', room: 'f' });
    traffic = (async () => {
      while (running) {
        const started = Date.now();
        await api.toRoom('f', 'tick', { n: ++n }).catch(() => undefined);
        slowestMs = Math.max(slowestMs, Date.now() - started);
        await sleep(10);
      }
    })();
    await one.until('traffic', () => one.messages().length >= 20);
    const before = one.messages().at(-1)!;
    const epoch = (await one.request({ t: 'recover', stream: 'room:f', since: { epoch: 'x', offset: 0 } }))
      .epoch as string;

    await cluster.failover(hubs[0]!.plexus.redis.keys.realtime.meta(EP, 'room:f'));
    const after = n;
    for (const c of [one, two]) {
      await eventually(
        'delivery resumes',
        () => c.messages().some((m) => (m.d as { n: number }).n > after),
        30_000,
      );
    }
    running = false;
    await traffic;
    expect(slowestMs).toBeLessThan(3000);

    const answer = await one.request({ t: 'recover', stream: 'room:f', since: { epoch, offset: before.o } });
    expect(answer.t).toBe('ok');
    const ns = (c: Client) => c.messages().map((m) => (m.d as { n: number }).n);
    if (answer.recovered === true) {
      // Everything after `before`, in offset order, was given (recovered or live).
      const offsets = [
        ...new Set(
          one
            .messages()
            .filter((m) => (m.o as number) > (before.o as number))
            .map((m) => m.o as number),
        ),
      ].sort((a, b) => a - b);
      expect(offsets).toEqual(offsets.map((_, i) => (before.o as number) + 1 + i));
    } else {
      expect(answer.epoch).not.toBe(epoch);
    }
    // Live deliveries never duplicate a message (recovery may resend what was seen: the client dedupes by offset).
    const live = two.messages().map((m) => (m.d as { n: number }).n);
    expect(new Set(live).size).toBe(live.length);
    expect(ns(one).length).toBeGreaterThan(20);
    one.close();
    two.close();
  }, 90_000);
});
