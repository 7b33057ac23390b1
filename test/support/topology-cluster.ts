/**
 * A real Redis Cluster for tests: 3 masters + 3 replicas, each a `redis-server` on its own free
 * port, created with `redis-cli --cluster create --cluster-replicas 1`. Ready only when every node
 * reports cluster_state:ok, every node sees the same masters, and every replica link is up.
 *
 * `--cluster-node-timeout 2000` makes a killed master fail over in about 3–5 s;
 * `--cluster-replica-validity-factor 0` lets a replica always take over, whatever its lag, so a
 * failover test never hangs on a replica that considers its data too old.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { loadRedisConfig, type RedisConfig } from '../../src/config/redis.js';
import { uniquePrefix } from './redis.js';
import { RedisProcess, waitFor } from './redis-process.js';
import { parseInfo } from './resp.js';

const exec = promisify(execFile);

export interface FailoverResult {
  /** The master that went away (killed) or stepped down (graceful). */
  previous: RedisProcess;
  /** The replica that is master now. */
  promoted: RedisProcess;
  /** performance.now() when the failover was started (kill or command sent). */
  startedAt: number;
  /** performance.now() when the promoted node was first seen reporting itself master. */
  promotedAt: number;
  /**
   * Sentinel only: performance.now() when the first sentinel reported the new master. Clients
   * learn of a Sentinel failover from this announcement, which follows the promotion by up to
   * the sentinels' INFO period (1 s).
   */
  announcedAt?: number;
}

interface ClusterNodeLine {
  id: string;
  address: string;
  flags: string[];
  masterId: string;
  slots: string[];
}

export class RedisClusterHandle {
  constructor(readonly nodes: RedisProcess[]) {}

  /** Every node's address, `host:port,host:port,...`, for REDIS_CLUSTER_NODES. */
  get seeds(): string {
    return this.nodes.map((n) => n.address).join(',');
  }

  /** A cluster-mode RedisConfig with a unique key prefix; `env` overrides any setting. */
  config(env: Record<string, string> = {}): RedisConfig {
    return loadRedisConfig({
      REDIS_MODE: 'cluster',
      REDIS_CLUSTER_NODES: this.seeds,
      REDIS_KEY_PREFIX: uniquePrefix(),
      ...env,
    });
  }

  /** Current masters that own slots, as one running node sees them. */
  async masters(): Promise<RedisProcess[]> {
    const lines = await this.#view();
    return lines
      .filter((l) => l.flags.includes('master') && !l.flags.includes('fail') && l.slots.length > 0)
      .map((l) => this.#byAddress(l.address));
  }

  /** The replica currently attached to `master`. */
  async replicaOf(master: RedisProcess): Promise<RedisProcess> {
    const lines = await this.#view();
    const id = lines.find((l) => l.address === master.address)?.id;
    const replica = lines.find((l) => l.masterId === id && l.flags.includes('slave') && !isFailed(l));
    if (replica === undefined) throw new Error(`${master.address} has no healthy replica`);
    return this.#byAddress(replica.address);
  }

  /** The master serving `slot` (see src/redis/topology/slot.ts hashSlot). */
  async masterOfSlot(slot: number): Promise<RedisProcess> {
    // CLUSTER SLOTS: [[from, to, [ip, port, id], ...replicas], ...]
    const ranges = (await this.#live().command(['CLUSTER', 'SLOTS'])) as [number, number, unknown[]][];
    const range = ranges.find(([from, to]) => slot >= from && slot <= to);
    if (range === undefined) throw new Error(`no master serves slot ${slot}`);
    return this.#byAddress(`${range[2][0]}:${range[2][1]}`);
  }

  /**
   * Fails `master` over to its replica. Default: SIGKILL the master and wait until the cluster
   * promotes the replica. `graceful`: CLUSTER FAILOVER on the replica (no data loss, no downtime
   * beyond the switch). Resolves when the promoted node is master and reports cluster_state:ok.
   */
  async failover(master: RedisProcess, options: { graceful?: boolean } = {}): Promise<FailoverResult> {
    const promoted = await this.replicaOf(master);
    const startedAt = performance.now();
    if (options.graceful) await promoted.command(['CLUSTER', 'FAILOVER']);
    else await master.kill();
    await waitFor(`${promoted.address} to be promoted`, async () => (await role(promoted)) === 'master');
    const promotedAt = performance.now();
    await waitFor(`cluster_state:ok on ${promoted.address}`, async () => {
      const info = parseInfo(await promoted.command(['CLUSTER', 'INFO']));
      return info['cluster_state'] === 'ok';
    });
    if (options.graceful) {
      await waitFor(`${master.address} to become a replica`, async () => (await role(master)) === 'slave');
    }
    return { previous: master, promoted, startedAt, promotedAt };
  }

  /**
   * Waits until the running, unpaused nodes agree: cluster_state:ok everywhere, every replica's
   * link up, and every node's view of every running node (role, and which master a replica
   * follows) matching what that node says about itself.
   */
  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    await waitFor('a healthy cluster', () => this.#healthy(), timeoutMs, 50);
  }

  async #healthy(): Promise<boolean> {
    const live = this.nodes.filter((n) => n.running && !n.paused);
    const self = new Map<string, { role: string; master: string }>();
    for (const node of live) {
      const info = parseInfo(await node.command(['CLUSTER', 'INFO']));
      if (info['cluster_state'] !== 'ok') return false;
      const replication = parseInfo(await node.command(['INFO', 'replication']));
      if (replication['role'] === 'slave' && replication['master_link_status'] !== 'up') return false;
      const master = replication['role'] === 'slave' ? `${node.host}:${replication['master_port']}` : '';
      self.set(node.address, { role: replication['role'] === 'slave' ? 'slave' : 'master', master });
    }
    for (const node of live) {
      const lines = parseNodes(await node.command(['CLUSTER', 'NODES']));
      const byId = new Map(lines.map((l) => [l.id, l.address]));
      for (const [address, { role, master }] of self) {
        const line = lines.find((l) => l.address === address);
        if (line === undefined || isFailed(line) || !line.flags.includes(role)) return false;
        if (role === 'slave' && byId.get(line.masterId) !== master) return false;
      }
    }
    return true;
  }

  /** Kills every node and removes their directories. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.destroy()));
  }

  #live(): RedisProcess {
    const node = this.nodes.find((n) => n.running && !n.paused);
    if (node === undefined) throw new Error('no cluster node is running');
    return node;
  }

  async #view(): Promise<ClusterNodeLine[]> {
    return parseNodes(await this.#live().command(['CLUSTER', 'NODES']));
  }

  #byAddress(address: string): RedisProcess {
    const node = this.nodes.find((n) => n.address === address);
    if (node === undefined) throw new Error(`unknown cluster node ${address}`);
    return node;
  }
}

export interface ClusterOptions {
  /** Every node requires this password (requirepass, and masterauth for its replica link). */
  password?: string;
}

/** Starts 6 nodes, creates the cluster and waits until it is healthy. */
export async function startCluster(options: ClusterOptions = {}): Promise<RedisClusterHandle> {
  const nodes: RedisProcess[] = [];
  try {
    const started = await Promise.all(
      Array.from({ length: 6 }, () =>
        RedisProcess.start({
          args: [
            ...['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'],
            ...['--cluster-node-timeout', '2000', '--repl-diskless-sync-delay', '0'],
            ...['--cluster-replica-validity-factor', '0'],
          ],
          ...(options.password === undefined ? {} : { password: options.password }),
        }),
      ),
    );
    nodes.push(...started);
    const auth = options.password === undefined ? [] : ['-a', options.password, '--no-auth-warning'];
    await exec(
      'redis-cli',
      [
        ...auth,
        ...[
          '--cluster',
          'create',
          ...nodes.map((n) => n.address),
          '--cluster-replicas',
          '1',
          '--cluster-yes',
        ],
      ],
      { timeout: 30_000 },
    );
    const cluster = new RedisClusterHandle(nodes);
    await cluster.waitHealthy();
    return cluster;
  } catch (error) {
    await Promise.all(nodes.map((n) => n.destroy()));
    throw error;
  }
}

async function role(node: RedisProcess): Promise<string | undefined> {
  const reply = await node.command(['ROLE'], 500);
  return Array.isArray(reply) ? String(reply[0]) : undefined;
}

function isFailed(line: ClusterNodeLine): boolean {
  return line.flags.includes('fail') || line.flags.includes('fail?') || line.flags.includes('handshake');
}

function parseNodes(text: unknown): ClusterNodeLine[] {
  if (typeof text !== 'string') return [];
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [id = '', address = '', flags = '', masterId = '', , , , , ...slots] = line.split(' ');
      return { id, address: address.split('@')[0]!, flags: flags.split(','), masterId, slots };
    });
}
