/**
 * Redis Sentinel failovers under write traffic: the master killed, and a SENTINEL FAILOVER.
 * Clients learn the new master from the sentinels' announcement (+switch-master), which follows
 * the promotion by up to their 1 s INFO period; writes must resume soon after the announcement
 * (aim: under 1 s), no call may wait longer than the command timeout, subscriptions must
 * survive, and health() must show the master, the replica and the sentinels.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TestLayers } from '../../support/states.js';
import {
  type FailoverResult,
  type RedisSentinelHandle,
  startSentinel,
  waitFor,
} from '../../support/topology.js';
import { collectMessages, publishUntilReceived, writeTraffic } from '../../support/traffic.js';

const TIMEOUT_MS = 250;
const SLACK_MS = 200;
const RESUME_WITHIN_MS = 1000;

let sentinel: RedisSentinelHandle;
const layers = new TestLayers();

beforeAll(async () => {
  sentinel = await startSentinel();
}, 60_000);
afterAll(() => sentinel.stop());
afterEach(async () => {
  await layers.closeAll();
  for (const node of sentinel.sentinels) if (!node.running) await node.restart();
  for (const node of sentinel.servers) if (!node.running) await sentinel.rejoin(node);
  await sentinel.waitHealthy();
}, 60_000);

const connectedLayer = () =>
  layers.connected(sentinel.config({ REDIS_COMMAND_TIMEOUT_MS: String(TIMEOUT_MS) }));

async function failoverUnderTraffic(graceful: boolean) {
  const { layer, log } = await connectedLayer();
  const channel = layer.keys.channel('sentinel', graceful ? 'graceful' : 'kill');
  const received = await collectMessages(layer.store, channel);
  const writes = writeTraffic(layer, (w) => layer.keys.key('w', w), 10);
  await writes.waitForSuccess();

  const failover = await sentinel.failover({ graceful });
  const resumed = await waitFor('a write after the announcement', () =>
    writes.firstSuccessAfter(failover.announcedAt!),
  );
  await log.reach('ready');
  await writes.stop();
  report(graceful ? 'SENTINEL FAILOVER' : 'master killed', failover, resumed.end);
  return { layer, log, writes, failover, resumedAt: resumed.end, channel, received };
}

function report(what: string, failover: FailoverResult, resumedAt: number): void {
  const ms = (t: number) => Math.round(t);
  console.info(
    `sentinel ${what}: promoted ${ms(failover.promotedAt - failover.startedAt)} ms in, announced ` +
      `${ms(failover.announcedAt! - failover.promotedAt)} ms later; writes resumed ` +
      `${ms(resumedAt - failover.announcedAt!)} ms after the announcement ` +
      `(${ms(resumedAt - failover.promotedAt)} ms after the promotion)`,
  );
}

describe('Redis Sentinel failover', () => {
  // Graceful first: right after a rejoin the sentinels refuse SENTINEL FAILOVER (NOGOODSLAVE)
  // until their next 10 s INFO round.
  it('follows a SENTINEL FAILOVER', async () => {
    const { layer, writes, failover, resumedAt, channel, received } = await failoverUnderTraffic(true);
    expect(resumedAt - failover.announcedAt!).toBeLessThan(RESUME_WITHIN_MS);
    expect(writes.slowestMs()).toBeLessThanOrEqual(TIMEOUT_MS + SLACK_MS + 2 * writes.stallMs());
    await publishUntilReceived(
      'the subscription on the new master',
      layer.store,
      channel,
      'after switch',
      received,
    );
    expect(layer.state).toBe('ready');
  });

  it('resumes writes on the new master after the old one is killed, subscriptions included', async () => {
    const { layer, log, writes, failover, resumedAt, channel, received } = await failoverUnderTraffic(false);
    expect(resumedAt - failover.announcedAt!).toBeLessThan(RESUME_WITHIN_MS);
    expect(writes.slowestMs()).toBeLessThanOrEqual(TIMEOUT_MS + SLACK_MS + 2 * writes.stallMs());
    // Degraded once (the master vanished), ready once the new master is known.
    expect(log.states).toEqual(['ready', 'degraded', 'ready']);
    expect(log.changes[1]!.reason).toMatch(/master/);

    await publishUntilReceived(
      'the subscription on the new master',
      layer.store,
      channel,
      'after failover',
      received,
    );
    const health = await layer.health();
    expect(health.nodes.find((n) => n.role === 'master')).toMatchObject({
      address: failover.promoted.address,
      reachable: true,
    });
  });

  it('starts degraded at once when no sentinel answers, and becomes ready when they return', async () => {
    await Promise.all(sentinel.sentinels.map((s) => s.kill()));
    const { layer, log, connectMs } = await layers.connectTimed(sentinel.config());
    expect(connectMs).toBeLessThan(1000);
    expect(layer.state).toBe('degraded');
    await expect(layer.store.get(layer.keys.key('x'))).rejects.toMatchObject({ code: 'REDIS_UNAVAILABLE' });

    await Promise.all(sentinel.sentinels.map((s) => s.restart()));
    await log.reach('ready', 15_000);
    expect(await layer.store.set(layer.keys.key('x'), 'back')).toBe(true);
    expect(log.states).toEqual(['degraded', 'ready']);
  });

  it('reports the master, the replica and every sentinel, and notices one going away', async () => {
    const { layer } = await connectedLayer();
    const health = await layer.health();
    expect(health).toMatchObject({ topology: 'sentinel', state: 'ready', breaker: 'closed' });
    const master = await sentinel.master();
    const replica = await sentinel.replica();
    expect(health.nodes.map((n) => [n.address, n.role, n.reachable]).sort()).toEqual(
      [
        [master.address, 'master', true],
        [replica.address, 'replica', true],
        ...sentinel.sentinels.map((s) => [s.address, 'sentinel', true]),
      ].sort(),
    );
    for (const node of health.nodes) expect(node.latencyMs).toBeGreaterThanOrEqual(0);

    await sentinel.sentinels[0]!.kill();
    const after = await layer.health();
    expect(after.nodes.find((n) => n.address === sentinel.sentinels[0]!.address)).toMatchObject({
      role: 'sentinel',
      reachable: false,
      latencyMs: null,
    });
    // One sentinel down does not degrade the layer.
    expect(after.state).toBe('ready');
  });
});
