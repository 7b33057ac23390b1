/**
 * The rest topology when its endpoint fails: the local Upstash REST server (a child process)
 * paused with SIGSTOP, killed, answering 401, 429 or 500, or answering too slowly. Every call ends
 * within the command timeout, the breaker opens (the layer is degraded, with a reason), a cache on
 * the layer keeps answering from L1 and its loader, and the layer returns to the endpoint by
 * itself once it behaves, channel polling included.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCache } from '../../../src/cache/index.js';
import { TestLayers } from '../../support/states.js';
import { collectMessages, publishUntilReceived, writeTraffic } from '../../support/traffic.js';
import { startUpstashRest, type UpstashRestHandle } from '../../support/upstash-rest.js';

const TIMEOUT_MS = 250;
/** Room for a loaded, shared machine: timers can fire late when the event loop is busy. */
const SLACK_MS = 200;

let rest: UpstashRestHandle;
const layers = new TestLayers();

beforeAll(async () => {
  rest = await startUpstashRest();
}, 30_000);
afterAll(() => rest?.stop());
afterEach(async () => {
  await layers.closeAll();
  rest.resume();
  await rest.restart();
});

const connectedLayer = () =>
  layers.connected(
    rest.config({
      REDIS_COMMAND_TIMEOUT_MS: String(TIMEOUT_MS),
      REDIS_BREAKER_RESET_MS: '200',
      REDIS_HEALTH_INTERVAL_MS: '200',
    }),
  );

describe.each([
  ['paused (SIGSTOP)', async () => rest.pause(), async () => rest.resume()],
  ['killed (SIGKILL)', () => rest.kill(), () => rest.restart()],
  ['answering 401', () => rest.misbehave({ status: 401 }), () => rest.behave()],
  ['answering 429', () => rest.misbehave({ status: 429 }), () => rest.behave()],
  ['answering 500', () => rest.misbehave({ status: 500 }), () => rest.behave()],
  ['answering slowly', () => rest.misbehave({ delayMs: TIMEOUT_MS * 4 }), () => rest.behave()],
])('the REST endpoint %s during traffic', (_name, breakIt, repair) => {
  it('bounds every call, degrades with a reason, keeps serving, and recovers by itself', async () => {
    const { layer, log } = await connectedLayer();
    const cache = createCache({ redis: layer, instanceId: 'outage' });
    await cache.start();
    try {
      const channel = layer.keys.channel('outage', 'poll');
      const received = await collectMessages(layer.store, channel);
      const traffic = writeTraffic(layer, (worker) => layer.keys.key('traffic', worker), 10);
      await traffic.waitForSuccess();
      await cache.set('kept', 'in L1');

      await breakIt();
      const degraded = await log.reach('degraded', 5000);
      expect(degraded.reason).not.toBe('');
      // Degraded: calls fail fast with REDIS_UNAVAILABLE instead of waiting on the endpoint...
      const during = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(Object.keys(traffic.outcomes(during))).toEqual(['REDIS_UNAVAILABLE']);
      expect(traffic.slowestMs(during)).toBeLessThan(50 + 2 * traffic.stallMs());
      // ...and the process keeps serving: the cache answers from L1 and from its loader.
      expect(await cache.get('kept')).toBe('in L1');
      expect(await cache.getOrSet('never-seen', () => 'from the source')).toBe('from the source');

      await repair();
      await log.reach('ready', 15_000);
      await traffic.waitForSuccess();
      await traffic.stop();
      expect(traffic.slowestMs()).toBeLessThanOrEqual(TIMEOUT_MS + SLACK_MS + 2 * traffic.stallMs());
      expect(log.states).toEqual(['ready', 'degraded', 'ready']);
      // Polling resumed: a message published now arrives.
      await publishUntilReceived('a message after recovery', layer.store, channel, 'after', received);
      const health = await layer.health();
      expect(health).toMatchObject({ topology: 'rest', state: 'ready', degraded: false, reason: null });
      expect(health.stats.failed).toBeGreaterThan(0);
      expect(health.nodes).toEqual([
        expect.objectContaining({ address: `127.0.0.1:${rest.port}`, reachable: true, role: 'master' }),
      ]);
    } finally {
      await cache.close();
    }
  });
});

describe('the REST endpoint unavailable at startup', () => {
  it('starts degraded at once, then becomes ready when the endpoint answers', async () => {
    await rest.kill();
    const { layer, log, connectMs } = await layers.connectTimed(rest.config());
    expect(connectMs).toBeLessThan(1000);
    expect(layer.state).toBe('degraded');
    await expect(layer.store.get(layer.keys.key('x'))).rejects.toMatchObject({ code: 'REDIS_UNAVAILABLE' });
    await rest.restart();
    await log.reach('ready', 10_000);
    expect(await layer.store.get(layer.keys.key('x'))).toBeNull();
  });

  it('refuses a wrong token by staying degraded with the reason', async () => {
    const { layer } = await layers.connectTimed(rest.config({ UPSTASH_REDIS_REST_TOKEN: 'wrong' }));
    expect(layer.state).toBe('degraded');
    expect(layer.reason).toMatch(/401/);
    // Past a half-open probe (REDIS_BREAKER_RESET_MS, 1 s by default): still refused, still degraded.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(layer.state).toBe('degraded');
    expect(layer.reason).toMatch(/401/);
  });
});
