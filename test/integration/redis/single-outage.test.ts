/**
 * A single Redis killed, stopped or paused (SIGSTOP) in the middle of traffic, or absent at
 * startup: no call waits longer than the command timeout, the layer turns degraded with a reason
 * (one `state` event per change), and it returns to Redis by itself, subscriptions included.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TestLayers } from '../../support/states.js';
import { type RedisSingleHandle, startSingle, waitFor } from '../../support/topology.js';
import { collectMessages, writeTraffic } from '../../support/traffic.js';

const TIMEOUT_MS = 250;
/** Room for a loaded, shared machine: timers can fire late when the event loop is busy. */
const SLACK_MS = 200;

let redis: RedisSingleHandle;
const layers = new TestLayers();

beforeAll(async () => {
  redis = await startSingle();
});
afterAll(() => redis.stop());
afterEach(async () => {
  await layers.closeAll();
  redis.node.resume();
  if (!redis.node.running) await redis.node.restart();
});

const connectedLayer = () => layers.connected(redis.config({ REDIS_COMMAND_TIMEOUT_MS: String(TIMEOUT_MS) }));

describe.each([
  ['killed (SIGKILL)', () => redis.node.kill(), () => redis.node.restart()],
  ['stopped (SHUTDOWN)', () => redis.node.stop(), () => redis.node.restart()],
  ['paused (SIGSTOP)', async () => redis.node.pause(), async () => redis.node.resume()],
])('Redis %s during traffic', (_name, breakIt, repair) => {
  it('bounds every call, degrades once with a reason, and recovers by itself', async () => {
    const { layer, log } = await connectedLayer();
    const traffic = writeTraffic(layer, (worker) => layer.keys.key('traffic', worker), 10);
    await traffic.waitForSuccess();

    await breakIt();
    const degraded = await log.reach('degraded', 5000);
    expect(degraded.reason).not.toBe('');
    expect(layer.reason).toBe(degraded.reason);
    // While degraded, calls fail fast with REDIS_UNAVAILABLE instead of waiting.
    const during = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(Object.keys(traffic.outcomes(during))).toEqual(['REDIS_UNAVAILABLE']);
    expect(traffic.slowestMs(during)).toBeLessThan(50 + 2 * traffic.stallMs());

    await repair();
    await log.reach('ready', 10_000);
    await traffic.waitForSuccess();
    await traffic.stop();

    expect(traffic.slowestMs()).toBeLessThanOrEqual(TIMEOUT_MS + SLACK_MS + 2 * traffic.stallMs());
    expect(log.states).toEqual(['ready', 'degraded', 'ready']);
    const health = await layer.health();
    expect(health).toMatchObject({ state: 'ready', connected: true, degraded: false, reason: null });
    expect(health.stats.failed).toBeGreaterThan(0);
  });
});

describe('Redis unavailable at startup', () => {
  it('starts degraded at once when Redis is down, then becomes ready when it comes up', async () => {
    await redis.node.kill();
    const { layer, log, connectMs } = await layers.connectTimed(redis.config());
    expect(connectMs).toBeLessThan(1000);
    expect(layer.state).toBe('degraded');
    expect(layer.reason).toMatch(/ECONNREFUSED|connect/);
    const call = performance.now();
    await expect(layer.store.get(layer.keys.key('x'))).rejects.toMatchObject({ code: 'REDIS_UNAVAILABLE' });
    expect(performance.now() - call).toBeLessThan(50);

    await redis.node.restart();
    await log.reach('ready', 10_000);
    expect(await layer.store.get(layer.keys.key('x'))).toBeNull();
    expect(log.states).toEqual(['degraded', 'ready']);
  });

  it('gives up waiting for a paused Redis after the connect timeout, then recovers', async () => {
    redis.node.pause();
    const { layer, log, connectMs } = await layers.connectTimed(
      redis.config({ REDIS_CONNECT_TIMEOUT_MS: '500' }),
    );
    expect(connectMs).toBeLessThan(500 + SLACK_MS);
    expect(layer.state).toBe('degraded');

    redis.node.resume();
    await log.reach('ready', 10_000);
    expect(await layer.store.ping()).toBeGreaterThanOrEqual(0);
    expect(log.states).toEqual(['degraded', 'ready']);
  });
});

describe('subscriptions across a restart', () => {
  it('are restored, and deliver each message once', async () => {
    const { layer, log } = await connectedLayer();
    const channel = layer.keys.channel('outage', 'restart');
    const received = await collectMessages(layer.store, channel);

    await redis.node.kill();
    await log.reach('degraded');
    // Made while Redis is down: kept pending and applied on recovery.
    const late: string[] = [];
    await layer.store.subscribe(layer.keys.channel('outage', 'late'), (message) => late.push(message));

    await redis.node.restart();
    await log.reach('ready', 10_000);
    await waitFor('the restored subscription', async () => {
      await layer.store.publish(channel, 'probe');
      return received.length > 0;
    });
    await waitFor('the pending subscription', async () => {
      await layer.store.publish(layer.keys.channel('outage', 'late'), 'late');
      return late.length > 0;
    });
    received.length = 0;
    expect(await layer.store.publish(channel, 'once')).toBe(1);
    await waitFor('delivery', () => received.includes('once'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(received.filter((m) => m === 'once')).toEqual(['once']);
  });
});

describe('closing the layer', () => {
  it('refuses calls still waiting on a paused Redis at once, as unavailable rather than timed out', async () => {
    const { layer } = await layers.connected(redis.config({ REDIS_COMMAND_TIMEOUT_MS: '5000' }));
    redis.node.pause();
    const pending = layer.store.get(layer.keys.key('closing', 'pending')).then(
      () => 'resolved',
      (error: { code?: string }) => error.code,
    );
    const start = performance.now();
    await layer.close();
    expect(await pending).toBe('REDIS_UNAVAILABLE');
    expect(performance.now() - start).toBeLessThan(2000);
  });
});
