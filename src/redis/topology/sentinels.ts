/**
 * What the sentinels say: which node is the master (the answer with the highest config epoch
 * among all sentinels that reply), which replicas they know, and `+switch-master` announcements
 * from every one of them (a sentinel that did not lead a failover learns of it from the others
 * only every 2 s, so watching a single one is not enough).
 *
 * Queries go over the health connections (`NodePingers`), one per sentinel; announcements over
 * one subscriber connection per sentinel, which reconnects with back-off.
 */
import type { RedisConfig } from '../../config/redis.js';
import { createBareClient } from './bare-client.js';
import { backoff, errorMessage, withTimeout } from './client-options.js';
import type { NodePingers, PingerAuth } from './pingers.js';

export class Sentinels {
  readonly #watchers: { destroy(): void }[] = [];

  constructor(
    private readonly config: RedisConfig,
    private readonly pingers: NodePingers,
  ) {}

  /** Addresses of the configured sentinels. */
  get addresses(): string[] {
    return this.config.sentinels.map(({ host, port }) => `${host}:${port}`);
  }

  get auth(): PingerAuth {
    return { username: this.config.sentinelUsername, password: this.config.sentinelPassword };
  }

  /** The master named by the sentinel with the highest config epoch. */
  async master(): Promise<string> {
    const answers = await Promise.allSettled(
      this.addresses.map(async (sentinel) => {
        const fields = fieldMap(
          await withTimeout(
            this.pingers.send(sentinel, ['SENTINEL', 'MASTER', this.config.sentinelMaster], this.auth),
            this.config.connectTimeoutMs,
            'SENTINEL MASTER',
          ),
        );
        return {
          address: `${fields.get('ip')}:${fields.get('port')}`,
          epoch: Number(fields.get('config-epoch')),
        };
      }),
    );
    let best: { address: string; epoch: number } | undefined;
    for (const answer of answers) {
      if (answer.status === 'fulfilled' && (best === undefined || answer.value.epoch > best.epoch)) {
        best = answer.value;
      }
    }
    if (best === undefined) {
      const failure = answers.find((a): a is PromiseRejectedResult => a.status === 'rejected');
      throw new Error(`no sentinel answered: ${errorMessage(failure?.reason)}`);
    }
    return best.address;
  }

  /** Replica addresses from the first sentinel that answers SENTINEL REPLICAS. */
  async replicas(timeoutMs: number): Promise<string[]> {
    for (const sentinel of this.addresses) {
      try {
        const reply = await withTimeout(
          this.pingers.send(sentinel, ['SENTINEL', 'REPLICAS', this.config.sentinelMaster], this.auth),
          timeoutMs,
          'SENTINEL REPLICAS',
        );
        return (reply as unknown[]).map((entry) => {
          const fields = fieldMap(entry);
          return `${fields.get('ip')}:${fields.get('port')}`;
        });
      } catch {
        // Ask the next sentinel.
      }
    }
    return [];
  }

  /** Calls `onSwitch` whenever any sentinel announces `+switch-master` for our master. */
  watch(onSwitch: () => void): void {
    if (this.#watchers.length > 0) return;
    for (const { host, port } of this.config.sentinels) {
      const watcher = createBareClient({
        ...(this.config.sentinelUsername === undefined ? {} : { username: this.config.sentinelUsername }),
        ...(this.config.sentinelPassword === undefined ? {} : { password: this.config.sentinelPassword }),
        socket: {
          host,
          port,
          connectTimeout: this.config.connectTimeoutMs,
          reconnectStrategy: backoff(this.config.reconnectMaxDelayMs),
          ...(this.config.tls ? { tls: true as const } : {}),
        },
      });
      watcher.on('error', () => {
        // A sentinel being down is shown by health(); the others still report failovers.
      });
      this.#watchers.push(watcher);
      watcher
        .connect()
        .then(() =>
          watcher.subscribe('+switch-master', (message) => {
            // "<master name> <old ip> <old port> <new ip> <new port>"
            if (message.split(' ')[0] === this.config.sentinelMaster) onSwitch();
          }),
        )
        .catch(() => {});
    }
  }

  close(): void {
    for (const watcher of this.#watchers) watcher.destroy();
  }
}

/** A sentinel's description of a node: a flat [name, value, ...] array (RESP2) or a map (RESP3). */
function fieldMap(entry: unknown): Map<string, string> {
  if (entry instanceof Map) return new Map([...entry].map(([k, v]) => [String(k), String(v)]));
  if (Array.isArray(entry)) {
    const fields = new Map<string, string>();
    for (let i = 0; i + 1 < entry.length; i += 2) fields.set(String(entry[i]), String(entry[i + 1]));
    return fields;
  }
  return new Map(Object.entries(entry as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}
