/**
 * Time back on Redis after an outage: from the moment Redis answers again to the layer `ready`
 * (subscriptions made again) and to the in-process copies trusted again (their channel
 * confirmed), on a single node and on a Cluster (3 masters, 3 replicas, every node taken away),
 * for SIGKILL + restart and SIGSTOP + SIGCONT, without and with write traffic (20 loops of SET).
 * Method: test/support/redis-return.ts.
 *
 * Baseline, same run: the same returns with the return probe made as slow as the old schedule
 * (REDIS_RETURN_PROBE_MS = REDIS_BREAKER_RESET_MS = 1000 ms), i.e. waiting for the reconnect
 * back-off and the breaker's reset as before. Target: worst case < 1 s, median < 250 ms.
 *
 * Run: npx tsx bench/redis-return.ts   (RETURNS=8 per case; TOPOLOGIES=single,cluster; BASELINE=1)
 * Starts its own redis-server processes on free ports.
 */
import {
  clusterTarget,
  measureReturn,
  type Outage,
  type ReturnSample,
  type ReturnTarget,
  singleTarget,
} from '../test/support/redis-return.js';
import { startCluster, startSingle } from '../test/support/topology.js';

const RETURNS = Number(process.env.RETURNS ?? 8);
const TOPOLOGIES = (process.env.TOPOLOGIES ?? 'single,cluster').split(',');
const BASELINE = process.env.BASELINE !== '0';
const CASES: [Outage, boolean][] = [
  ['kill', false],
  ['kill', true],
  ['pause', false],
  ['pause', true],
];
/** The old schedule: a degraded-mode check every REDIS_BREAKER_RESET_MS (1 s). */
const OLD = { REDIS_RETURN_PROBE_MS: '1000' };

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function row(label: string, values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const f = (n: number) => String(Math.round(n)).padStart(5);
  return `${label.padEnd(34)} min ${f(sorted[0]!)}  median ${f(percentile(sorted, 0.5))}  p90 ${f(percentile(sorted, 0.9))}  max ${f(sorted.at(-1)!)} ms`;
}

async function run(name: string, target: ReturnTarget, env: Record<string, string>): Promise<void> {
  for (const [outage, load] of CASES) {
    for (const [variant, extra] of BASELINE
      ? ([
          ['new', {}],
          ['old', OLD],
        ] as const)
      : ([['new', {}]] as const)) {
      const samples: ReturnSample[] = [];
      for (let i = 0; i < RETURNS; i++)
        samples.push(await measureReturn(target, outage, load, { ...env, ...extra }));
      const label = `${name} ${outage} ${load ? 'load' : 'idle'} ${variant}`;
      console.log(
        row(
          `${label} ready`,
          samples.map((s) => s.readyMs),
        ),
      );
      console.log(
        row(
          `${label} trusted`,
          samples.map((s) => s.trustedMs),
        ),
      );
    }
  }
}

if (TOPOLOGIES.includes('single')) {
  const redis = await startSingle();
  try {
    // A health check every 200 ms: a paused server is noticed quickly (this is not what is measured).
    await run(
      'single',
      singleTarget(redis.node, (env) => redis.config(env)),
      { REDIS_HEALTH_INTERVAL_MS: '200' },
    );
  } finally {
    await redis.stop();
  }
}
if (TOPOLOGIES.includes('cluster')) {
  const cluster = await startCluster();
  try {
    const masters = await cluster.masters();
    // Paused nodes must come back before cluster-node-timeout (2 s) or they fail each other over.
    await run(
      'cluster',
      clusterTarget(cluster.nodes, masters, (env) => cluster.config(env)),
      {
        REDIS_HEALTH_INTERVAL_MS: '200',
      },
    );
  } finally {
    await cluster.stop();
  }
}
process.exit(0);
