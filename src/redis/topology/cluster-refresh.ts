/**
 * Keeps node-redis's Cluster slot map current through failovers.
 *
 * node-redis re-reads the map on MOVED, and (if enabled) on a dead node's reconnection attempts.
 * Neither is enough: a promoted replica sends no MOVED for a dead master's slots, reconnection
 * attempts are up to a second apart, and a paused (SIGSTOP) master never reconnects at all. Worse,
 * node-redis's rediscovery may pick any known node as its source, and connecting to a paused one
 * hangs forever (connectTimeout covers only the TCP handshake); since it runs one rediscovery at
 * a time, every later refresh then waits behind it.
 *
 * So the layer reports every availability failure (`failed`), and while some master is failing
 * this reads CLUSTER SLOTS itself, every 100–200 ms, from a node that answers within the command
 * timeout (over its own health connections, failing nodes tried last). Only when the masters
 * changed does it ask node-redis to rediscover, starting from that very node, which is known to
 * answer. `changed` then tells the layer.
 */
import type { RedisConfig } from '../../config/redis.js';
import { withTimeout } from './client-options.js';
import type { NodePingers } from './pingers.js';

/** How soon the map is re-read after a failure; doubles while nothing changes, up to the max. */
const REFRESH_MIN_MS = 100;
const REFRESH_MAX_MS = 200;

/** The part of node-redis's cluster client this needs. */
export interface SlotMapOwner {
  readonly masters: readonly { address: string }[];
  /** node-redis's own refresh; `startWith` only needs the source's socket options. */
  rediscover(startWith: { host: string; port: number }): Promise<void>;
}

export class SlotMapRefresher {
  /** Masters whose last call or probe failed. */
  readonly #failing = new Set<string>();
  /** Every node address seen in a slot map, masters and replicas: the sources to read it from. */
  readonly #known = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #delay = REFRESH_MIN_MS;
  #running = false;
  #closed = false;

  constructor(
    private readonly owner: SlotMapOwner,
    private readonly pingers: NodePingers,
    private readonly config: RedisConfig,
    private readonly changed: (reason: string) => void,
  ) {
    for (const { host, port } of config.clusterNodes) this.#known.add(`${host}:${port}`);
  }

  /** A call or probe (to `address`, when known) failed for availability reasons. */
  failed(address: string | undefined): void {
    if (this.#closed) return;
    if (address !== undefined) this.#failing.add(address);
    this.#schedule();
  }

  /** `address` answered a probe. */
  answered(address: string): void {
    this.#failing.delete(address);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#running || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#refresh();
    }, this.#delay);
    this.#timer.unref();
  }

  async #refresh(): Promise<void> {
    this.#running = true;
    const before = mastersKey(this.owner.masters.map((m) => m.address));
    let after = before;
    try {
      const read = await this.#readSlotMap();
      if (read !== undefined && mastersKey(read.masters) !== before) {
        await withTimeout(
          this.owner.rediscover(splitAddress(read.source)),
          Math.max(1000, this.config.connectTimeoutMs),
          'slot map refresh',
        );
        after = mastersKey(this.owner.masters.map((m) => m.address));
      }
    } catch {
      // The next failure or the next round tries again.
    } finally {
      this.#running = false;
    }
    if (after !== before) {
      const masters = new Set(after.split(','));
      for (const address of this.#failing) if (!masters.has(address)) this.#failing.delete(address);
      this.#delay = REFRESH_MIN_MS;
      this.changed(`slot map changed, masters: ${after}`);
    } else {
      this.#delay = Math.min(REFRESH_MAX_MS, this.#delay * 2);
    }
    // Keep reading while a master is failing: its replica may not have been promoted yet.
    if (this.#failing.size > 0) this.#schedule();
    else this.#delay = REFRESH_MIN_MS;
  }

  /** CLUSTER SLOTS from the first node that answers in time; healthy-looking nodes first. */
  async #readSlotMap(): Promise<{ source: string; masters: string[] } | undefined> {
    const sources = [...this.#known].sort(
      (a, b) => Number(this.#failing.has(a)) - Number(this.#failing.has(b)),
    );
    const auth = { username: this.config.username, password: this.config.password };
    for (const source of sources) {
      try {
        await withTimeout(this.pingers.connect(source, auth), this.config.commandTimeoutMs, 'connect');
        const reply = await withTimeout(
          this.pingers.send(source, ['CLUSTER', 'SLOTS'], auth),
          this.config.commandTimeoutMs,
          'CLUSTER SLOTS',
        );
        // [[from, to, [host, port, id, ...], ...replicas], ...]
        const masters = new Set<string>();
        for (const range of reply as unknown[][]) {
          for (const [i, node] of (range.slice(2) as unknown[][]).entries()) {
            const address = `${node[0]}:${node[1]}`;
            this.#known.add(address);
            if (i === 0) masters.add(address);
          }
        }
        if (masters.size > 0) return { source, masters: [...masters] };
      } catch {
        // Try the next node.
      }
    }
    return undefined;
  }
}

function mastersKey(addresses: readonly string[]): string {
  return [...addresses].sort().join(',');
}

function splitAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at), port: Number(address.slice(at + 1)) };
}
