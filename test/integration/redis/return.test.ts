/**
 * Back on Redis soon after it answers again (issue 12): the return probe notices a Redis that came
 * back within about one REDIS_RETURN_PROBE_MS, and the layer is ready — subscriptions made again,
 * in-process copies confirmed — without waiting for the reconnect back-off or the breaker's reset.
 * Killed and restarted, or paused and resumed, idle and under write traffic; single node and
 * Cluster. The bounds are generous (measured figures: docs/benchmarks.md, bench/redis-return.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clusterTarget,
  measureReturn,
  type Outage,
  type ReturnSample,
  type ReturnTarget,
  singleTarget,
} from '../../support/redis-return.js';
import {
  type RedisClusterHandle,
  type RedisSingleHandle,
  startCluster,
  startSingle,
} from '../../support/topology.js';

const WORST_MS = 1000;
const MEDIAN_MS = 400;
/** A health check every 200 ms notices a paused server quickly; the return is what is measured. */
const ENV = { REDIS_HEALTH_INTERVAL_MS: '200' };
const CASES: [Outage, boolean][] = [
  ['kill', false],
  ['kill', true],
  ['pause', false],
  ['pause', true],
];

async function returns(target: ReturnTarget, each: number): Promise<number[]> {
  const samples: ReturnSample[] = [];
  for (const [outage, load] of CASES) {
    for (let i = 0; i < each; i++) samples.push(await measureReturn(target, outage, load, ENV));
  }
  // Trusted comes after ready: the later of the two is the return.
  return samples.map((s) => Math.max(s.readyMs, s.trustedMs)).sort((a, b) => a - b);
}

function expectBounded(times: number[]): void {
  const median = times[Math.floor(times.length / 2)]!;
  expect(times.at(-1), `worst of ${JSON.stringify(times.map(Math.round))}`).toBeLessThan(WORST_MS);
  expect(median, `median of ${JSON.stringify(times.map(Math.round))}`).toBeLessThan(MEDIAN_MS);
}

describe('single node', () => {
  let redis: RedisSingleHandle;
  beforeAll(async () => {
    redis = await startSingle();
  });
  afterAll(() => redis.stop());

  it('is ready, subscribed and trusting its copies again soon after Redis answers', async () => {
    expectBounded(
      await returns(
        singleTarget(redis.node, (env) => redis.config(env)),
        3,
      ),
    );
  }, 120_000);
});

describe('Cluster', () => {
  let cluster: RedisClusterHandle;
  beforeAll(async () => {
    cluster = await startCluster();
  }, 60_000);
  afterAll(() => cluster.stop());

  it('is ready, subscribed and trusting its copies again soon after every master serves', async () => {
    const masters = await cluster.masters();
    expectBounded(
      await returns(
        clusterTarget(cluster.nodes, masters, (env) => cluster.config(env)),
        2,
      ),
    );
  }, 180_000);
});
