/**
 * A real Redis Sentinel deployment for tests: 1 master, 1 replica and 3 sentinels (quorum 2).
 * `down-after-milliseconds 1000` and `failover-timeout 2000` make a failover take about 1–3 s.
 * Ready only when the replica's link is up and every sentinel knows the master, the replica and
 * the two other sentinels (otherwise a failover could not reach quorum).
 */
import { loadRedisConfig, type RedisConfig } from '../../src/config/redis.js';
import { uniquePrefix } from './redis.js';
import { RedisProcess, waitFor } from './redis-process.js';
import { parseInfo, type RespReply } from './resp.js';
import type { FailoverResult } from './topology-cluster.js';

export const SENTINEL_MASTER = 'mymaster';

export class RedisSentinelHandle {
  readonly masterName = SENTINEL_MASTER;

  constructor(
    /** The data nodes: [initial master, initial replica]. Roles change with failovers. */
    readonly servers: RedisProcess[],
    readonly sentinels: RedisProcess[],
  ) {}

  /** Sentinel addresses, `host:port,...`, for REDIS_SENTINELS. */
  get sentinelAddresses(): string {
    return this.sentinels.map((s) => s.address).join(',');
  }

  /** A sentinel-mode RedisConfig with a unique key prefix; `env` overrides any setting. */
  config(env: Record<string, string> = {}): RedisConfig {
    return loadRedisConfig({
      REDIS_MODE: 'sentinel',
      REDIS_SENTINELS: this.sentinelAddresses,
      REDIS_SENTINEL_MASTER: this.masterName,
      REDIS_KEY_PREFIX: uniquePrefix(),
      ...env,
    });
  }

  /** The master as the first reachable sentinel reports it. */
  async master(): Promise<RedisProcess> {
    for (const sentinel of this.sentinels) {
      if (!sentinel.running || sentinel.paused) continue;
      const reply = await sentinel.command(['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.masterName]);
      if (Array.isArray(reply)) return this.#byAddress(`${reply[0]}:${reply[1]}`);
    }
    throw new Error('no sentinel answered');
  }

  /** The data node that is not the master. */
  async replica(): Promise<RedisProcess> {
    const master = await this.master();
    return this.servers.find((s) => s !== master)!;
  }

  /**
   * Fails the master over to the replica. Default: SIGKILL the master and let the sentinels notice
   * (down-after 1 s) and elect. `graceful`: SENTINEL FAILOVER (the old master keeps running and
   * is turned into a replica). Resolves when every running sentinel reports the new master and
   * it answers ROLE as master.
   */
  async failover(options: { graceful?: boolean } = {}): Promise<FailoverResult> {
    const previous = await this.master();
    const promoted = this.servers.find((s) => s !== previous)!;
    const startedAt = performance.now();
    if (options.graceful) {
      // NOGOODSLAVE right after a change means a sentinel has not refreshed the replica yet.
      await waitFor('SENTINEL FAILOVER to be accepted', async () => {
        const reply = await this.#liveSentinel().command(['SENTINEL', 'FAILOVER', this.masterName]);
        if (reply instanceof Error) throw reply;
        return true;
      });
    } else {
      await previous.kill();
    }
    await waitFor(`${promoted.address} to be promoted`, async () => {
      const reply = await promoted.command(['ROLE'], 500);
      return Array.isArray(reply) && reply[0] === 'master';
    });
    const promotedAt = performance.now();
    let announcedAt: number | undefined;
    await waitFor('every sentinel to switch master', async () => {
      let switched = 0;
      const live = this.sentinels.filter((s) => s.running && !s.paused);
      for (const sentinel of live) {
        const reply = await sentinel.command(['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.masterName]);
        if (Array.isArray(reply) && `${reply[0]}:${reply[1]}` === promoted.address) switched++;
      }
      if (switched > 0) announcedAt ??= performance.now();
      return switched === live.length;
    });
    if (options.graceful) {
      // The old master keeps running as a master until the sentinels' next INFO round (up to
      // 10 s) converts it; do it now, as they would, so the deployment is whole for the next test.
      await previous.command(['REPLICAOF', promoted.host, String(promoted.port)]);
    }
    return {
      previous,
      promoted,
      startedAt,
      promotedAt,
      ...(announcedAt === undefined ? {} : { announcedAt }),
    };
  }

  /**
   * Restarts a data node that was stopped or killed and points it at the current master at once.
   * The sentinels would convert it themselves, but only after their 10 s INFO period; this is the
   * replicaof line their config rewrite would have given it.
   */
  async rejoin(node: RedisProcess): Promise<void> {
    const master = await this.master();
    await node.restart();
    if (node !== master) await node.command(['REPLICAOF', master.host, String(master.port)]);
  }

  /**
   * Waits until the deployment is whole again: every running sentinel agrees on the master, which
   * is running; every other running data node replicates from it with its link up; and every
   * sentinel sees the other sentinels and those replicas as up (so another failover can succeed).
   */
  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    await waitFor(
      'a healthy sentinel deployment',
      async () => {
        const master = await this.master();
        if (!master.running || master.paused) return false;
        const replicas = this.servers.filter((s) => s !== master && s.running && !s.paused);
        for (const replica of replicas) {
          const info = parseInfo(await replica.command(['INFO', 'replication']));
          if (info['master_port'] !== String(master.port) || info['master_link_status'] !== 'up')
            return false;
        }
        for (const sentinel of this.sentinels.filter((s) => s.running && !s.paused)) {
          const state = fields(await sentinel.command(['SENTINEL', 'MASTER', this.masterName]));
          if (`${state['ip']}:${state['port']}` !== master.address || state['flags'] !== 'master')
            return false;
          if (Number(state['num-other-sentinels']) < this.sentinels.length - 1) return false;
          const known = (
            (await sentinel.command(['SENTINEL', 'REPLICAS', this.masterName])) as RespReply[]
          ).map(fields);
          for (const replica of replicas) {
            const entry = known.find((r) => `${r['ip']}:${r['port']}` === replica.address);
            if (entry?.['flags'] !== 'slave') return false;
          }
        }
        return true;
      },
      timeoutMs,
      50,
    );
  }

  async stop(): Promise<void> {
    await Promise.all([...this.sentinels, ...this.servers].map((n) => n.destroy()));
  }

  #liveSentinel(): RedisProcess {
    const sentinel = this.sentinels.find((s) => s.running && !s.paused);
    if (sentinel === undefined) throw new Error('no sentinel is running');
    return sentinel;
  }

  #byAddress(address: string): RedisProcess {
    const server = this.servers.find((s) => s.address === address);
    if (server === undefined) throw new Error(`unknown data node ${address}`);
    return server;
  }
}

/** Starts master, replica (link up) and then three sentinels, and waits until all agree. */
export async function startSentinel(): Promise<RedisSentinelHandle> {
  const started: RedisProcess[] = [];
  try {
    const master = await RedisProcess.start({ args: ['--repl-diskless-sync-delay', '0'] });
    started.push(master);
    const replica = await RedisProcess.start({
      args: ['--replicaof', master.host, String(master.port), '--repl-diskless-sync-delay', '0'],
    });
    started.push(replica);
    await waitFor('the replica link', async () => {
      const info = parseInfo(await replica.command(['INFO', 'replication']));
      return info['master_link_status'] === 'up';
    });
    // The replica is connected before the sentinels start, so their first INFO of the master
    // already lists it; otherwise discovery waits for the 10 s INFO period.
    const sentinelConfig = [
      `sentinel monitor ${SENTINEL_MASTER} ${master.host} ${master.port} 2`,
      `sentinel down-after-milliseconds ${SENTINEL_MASTER} 1000`,
      `sentinel failover-timeout ${SENTINEL_MASTER} 2000`,
      `sentinel parallel-syncs ${SENTINEL_MASTER} 1`,
    ].join('\n');
    const sentinels = await Promise.all(
      [0, 1, 2].map(() => RedisProcess.start({ configFile: sentinelConfig, mode: 'sentinel' })),
    );
    started.push(...sentinels);
    const handle = new RedisSentinelHandle([master, replica], sentinels);
    await handle.waitHealthy();
    return handle;
  } catch (error) {
    await Promise.all(started.map((n) => n.destroy()));
    throw error;
  }
}

/** A RESP2 map reply (flat [key, value, ...] array) as an object. */
function fields(reply: RespReply): Record<string, string> {
  const result: Record<string, string> = {};
  if (!Array.isArray(reply)) return result;
  for (let i = 0; i + 1 < reply.length; i += 2) result[String(reply[i])] = String(reply[i + 1]);
  return result;
}
