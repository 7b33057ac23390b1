/**
 * REDIS_FALLBACK_TO_SINGLE while running (issue 13): a real 3+3 Cluster and a separate single
 * redis-server, two instances (layers) sharing one key prefix. The whole Cluster is stopped for
 * real: both instances must end up on the single node, sharing state and pub/sub there, agreed
 * through the marker on the single node; when the Cluster is back and whole, both return to it.
 * Split brain: an instance that still reaches the Cluster follows the marker set by one that
 * cannot, and the way back waits while that one still cannot.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RedisLayer } from '../../../src/redis/layer.js';
import { allocatePort, releasePort } from '../../support/ports.js';
import { uniquePrefix } from '../../support/redis.js';
import { TestLayers } from '../../support/states.js';
import {
  type RedisClusterHandle,
  type RedisSingleHandle,
  sleep,
  startCluster,
  startSingle,
  waitFor,
} from '../../support/topology.js';
import { collectMessages, publishUntilReceived } from '../../support/traffic.js';

/** Short enough for a test, far above a check interval. */
const FAILOVER_TIMEOUT_MS = 1500;
const CHECK_MS = 200;

let cluster: RedisClusterHandle;
let single: RedisSingleHandle;
const layers = new TestLayers();

beforeAll(async () => {
  [cluster, single] = await Promise.all([startCluster(), startSingle()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([cluster?.stop(), single?.stop()]);
});
afterEach(async () => {
  await layers.closeAll();
  for (const node of cluster.nodes) if (!node.running) await node.restart();
  await cluster.waitHealthy();
}, 60_000);

function fallbackEnv(prefix: string, clusterNodes = cluster.seeds): Record<string, string> {
  return {
    REDIS_CLUSTER_NODES: clusterNodes,
    REDIS_FALLBACK_TO_SINGLE: 'true',
    REDIS_URL: single.url,
    REDIS_FAILOVER_TIMEOUT_MS: String(FAILOVER_TIMEOUT_MS),
    REDIS_HEALTH_INTERVAL_MS: String(CHECK_MS),
    REDIS_KEY_PREFIX: prefix,
  };
}

const markerOf = (layer: RedisLayer) => single.node.command(['GET', layer.keys.redis.fallback()]);

async function onSide(what: string, layer: RedisLayer, mode: 'single' | 'cluster', timeoutMs = 15_000) {
  await waitFor(
    `${what} ready on the ${mode}`,
    () => layer.mode === mode && layer.state === 'ready',
    timeoutMs,
  );
}

/** A write on one instance is read on the other. */
async function expectShared(a: RedisLayer, b: RedisLayer, name: string): Promise<void> {
  const key = a.keys.key('shared', name);
  expect(await a.store.set(key, `${name} from a`)).toBe(true);
  expect(await b.store.get(key)).toBe(`${name} from a`);
}

describe('REDIS_FALLBACK_TO_SINGLE while running', () => {
  it('moves both instances to the single node when the whole Cluster stops, and back when it is whole again', async () => {
    const prefix = uniquePrefix('fallback');
    const { layer: a } = await layers.connected(cluster.config(fallbackEnv(prefix)));
    const { layer: b } = await layers.connected(cluster.config(fallbackEnv(prefix)));
    expect([a.mode, b.mode]).toEqual(['cluster', 'cluster']);
    await expectShared(a, b, 'before');
    expect(await markerOf(a)).toBeNull();
    const channel = a.keys.channel('fallback', 'switch');
    const received = await collectMessages(b.store, channel);

    const stopped = performance.now();
    await Promise.all(cluster.nodes.map((node) => node.kill()));
    await Promise.all([onSide('a', a, 'single'), onSide('b', b, 'single')]);
    const switchedMs = performance.now() - stopped;
    console.info(
      `whole Cluster stopped: both instances on the single node ${Math.round(switchedMs)} ms later`,
    );
    // Not before REDIS_FAILOVER_TIMEOUT_MS of the Cluster being down; soon after it.
    expect(switchedMs).toBeGreaterThanOrEqual(FAILOVER_TIMEOUT_MS);
    expect(switchedMs).toBeLessThan(FAILOVER_TIMEOUT_MS + 5000);
    const marker = JSON.parse(String(await markerOf(a))) as { by: string; reason: string };
    expect(marker.reason).toMatch(/Cluster has been down/);

    // Shared state and pub/sub on the single node: the subscription was made again there.
    await expectShared(a, b, 'during');
    await expectShared(b, a, 'during-b');
    expect(await single.node.command(['GET', a.keys.key('shared', 'during')])).toBe('during from a');
    await publishUntilReceived('a message over the single node', a.store, channel, 'on single', received);

    // The Cluster is back (empty: no persistence). After it has been whole for the failover
    // timeout, the marker is removed and both instances return to it.
    const restarted = performance.now();
    await Promise.all(cluster.nodes.map((node) => node.restart()));
    await cluster.waitHealthy();
    await Promise.all([onSide('a', a, 'cluster', 30_000), onSide('b', b, 'cluster', 30_000)]);
    console.info(
      `Cluster restarted: both instances back on it ${Math.round(performance.now() - restarted)} ms later`,
    );
    expect(await markerOf(a)).toBeNull();
    // What was written on the single node during the switch stays there; it is not on the Cluster.
    expect(await a.store.get(a.keys.key('shared', 'during'))).toBeNull();
    await expectShared(a, b, 'after');
    await publishUntilReceived('a message over the Cluster again', a.store, channel, 'on cluster', received);
  }, 90_000);

  it('moves an instance that still reaches the Cluster once another cannot, and waits for that one to return', async () => {
    const prefix = uniquePrefix('split');
    // `cut` is partitioned from the Cluster: its seed address has nothing listening.
    const deadPort = await allocatePort();
    try {
      const { layer: healthy } = await layers.connected(cluster.config(fallbackEnv(prefix)));
      expect(healthy.mode).toBe('cluster');
      const cut = await layers.connectTimed(cluster.config(fallbackEnv(prefix, `127.0.0.1:${deadPort}`)));
      // At startup `cut` waited REDIS_FAILOVER_TIMEOUT_MS for its Cluster, then set the marker.
      expect(cut.layer.mode).toBe('single');
      expect(cut.layer.state).toBe('ready');
      // `healthy` still reaches the Cluster but follows the marker within a check or two.
      await onSide('the instance that reaches the Cluster', healthy, 'single', 5000);
      await expectShared(cut.layer, healthy, 'split');

      // A third instance started now joins the single node at once, though its Cluster answers.
      const late = await layers.connectTimed(cluster.config(fallbackEnv(prefix)));
      expect(late.layer.mode).toBe('single');
      expect(late.connectMs).toBeLessThan(FAILOVER_TIMEOUT_MS);
      await expectShared(late.layer, cut.layer, 'late');

      // The Cluster is whole for `healthy`, but `cut` keeps reporting it down: no way back yet.
      await sleep(3 * FAILOVER_TIMEOUT_MS);
      expect([healthy.mode, late.layer.mode, cut.layer.mode]).toEqual(['single', 'single', 'single']);
      expect(await markerOf(healthy)).not.toBeNull();

      // Once `cut` is gone, its report expires and the others return to the Cluster.
      await cut.layer.close();
      await Promise.all([
        onSide('healthy', healthy, 'cluster', 20_000),
        onSide('late', late.layer, 'cluster', 20_000),
      ]);
      await expectShared(healthy, late.layer, 'back');
    } finally {
      releasePort(deadPort);
    }
  }, 90_000);
});
