/**
 * Time back to ready after an outage, for the test that bounds it and bench/redis-return.ts.
 *
 * One layer with one set of in-process copies sharing a channel (the trust policy of
 * src/coherence/copies.ts), optionally under write traffic. Redis is taken away (SIGKILL, or
 * SIGSTOP) until the layer is degraded and a little longer, then given back; the clock starts at
 * the moment Redis answers again (a single node's first PING answered after SIGCONT or restart;
 * on Cluster, the first moment every master reports cluster_state:ok), and stops when the layer is
 * `ready` (subscriptions made again) and when the copies are trusted again (this instance's probe
 * came back over the channel).
 */
import { LocalCopies } from '../../src/coherence/copies.js';
import type { RedisConfig } from '../../src/config/redis.js';
import { silentLogger } from '../../src/logger.js';
import { RedisLayer } from '../../src/redis/layer.js';
import { type RedisProcess, sleep } from './redis-process.js';
import { StateLog } from './states.js';
import { writeTraffic } from './traffic.js';

export type Outage = 'kill' | 'pause';

export interface ReturnSample {
  /** Redis answering again → layer `ready`, ms. */
  readyMs: number;
  /** Redis answering again → copies trusted, ms. */
  trustedMs: number;
}

/** A deployment the measure can take away and give back (all its nodes). */
export interface ReturnTarget {
  config(env?: Record<string, string>): RedisConfig;
  nodes: RedisProcess[];
  /**
   * Polls from `since` (the moment Redis was given back); resolves with `since` if it serves at
   * the first check, else with performance.now() of the first check it passed.
   */
  answering(since: number): Promise<number>;
}

class TimedCopies extends LocalCopies<{ k: string }> {
  trustedAt = 0;

  protected drop(): void {}

  override trust(): void {
    super.trust();
    this.trustedAt = performance.now();
  }
}

/** How long Redis stays away once the layer is degraded: several return-probe intervals. */
const HOLD_MS = 400;

export async function measureReturn(
  target: ReturnTarget,
  outage: Outage,
  load: boolean,
  env: Record<string, string> = {},
): Promise<ReturnSample> {
  const layer = new RedisLayer(target.config(env));
  const log = new StateLog(layer);
  const copies = new TimedCopies();
  copies.share({
    layer,
    channel: layer.keys.channel('return', 'copies'),
    origin: 'return-bench',
    logger: silentLogger,
    label: 'return copies',
    received: () => {},
    maxAgeMs: () => 60_000,
    keepWhileUnreachable: false,
  });
  await layer.connect();
  await copies.start();
  const traffic = load ? writeTraffic(layer, (w) => layer.keys.key('return', w), 20) : undefined;
  try {
    if (layer.state !== 'ready' || !copies.trusted) throw new Error('not ready before the outage');
    const degraded = log.reach('degraded', 10_000);
    if (outage === 'kill') await Promise.all(target.nodes.map((n) => n.kill()));
    else for (const node of target.nodes) node.pause();
    await degraded;
    await sleep(HOLD_MS);
    const ready = log.reach('ready', 20_000);
    let back: number;
    if (outage === 'kill') {
      const answering = target.answering(performance.now());
      await Promise.all(target.nodes.map((n) => n.restart()));
      back = await answering;
    } else {
      const resumed = performance.now();
      for (const node of target.nodes) node.resume();
      back = await target.answering(resumed);
    }
    const readyAt = (await ready).at;
    await waitUntil(() => copies.trusted, 20_000);
    return { readyMs: readyAt - back, trustedMs: copies.trustedAt - back };
  } finally {
    await traffic?.stop();
    await copies.close();
    await layer.close();
  }
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms`);
    await sleep(5);
  }
}

/** See ReturnTarget.answering: `serving` every 5 ms until it returns true. */
export async function firstServing(
  since: number,
  serving: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (let first = true; performance.now() < deadline; first = false) {
    if (await serving().catch(() => false)) return first ? since : performance.now();
    await sleep(5);
  }
  throw new Error(`not serving within ${timeoutMs} ms`);
}

/** A single node: serving once it answers PING. */
export function singleTarget(node: RedisProcess, config: ReturnTarget['config']): ReturnTarget {
  return {
    config,
    nodes: [node],
    answering: (since) => firstServing(since, async () => (await node.command(['PING'], 200)) === 'PONG'),
  };
}

/** A Cluster: serving once every master reports cluster_state:ok. */
export function clusterTarget(
  nodes: RedisProcess[],
  masters: RedisProcess[],
  config: ReturnTarget['config'],
): ReturnTarget {
  return {
    config,
    nodes,
    answering: (since) =>
      firstServing(since, async () => {
        const infos = await Promise.all(masters.map((m) => m.command(['CLUSTER', 'INFO'], 200)));
        return infos.every((info) => String(info).includes('cluster_state:ok'));
      }),
  };
}
