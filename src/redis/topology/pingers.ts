/**
 * Health-check connections to nodes the layer does not otherwise talk to (sentinels, replicas):
 * one small client per address, created on first use and kept for the next `health()`. They never
 * reconnect by themselves (a dead replica must not cost a reconnect loop); a closed one is
 * replaced on the next check. Used only by `health()`, never on the command path.
 */
import { createClient } from 'redis';
import type { RedisConfig } from '../../config/redis.js';
import type { RedisArg } from './topology.js';

/** The little of a client the pingers need (createClient's generic type does not survive `connect()`). */
interface Client {
  readonly isOpen: boolean;
  sendCommand(args: RedisArg[]): Promise<unknown>;
  destroy(): void;
}

interface Entry {
  client: Client;
  ready: Promise<Client>;
}

export interface PingerAuth {
  username?: string | undefined;
  password?: string | undefined;
}

export class NodePingers {
  readonly #clients = new Map<string, Entry>();

  constructor(private readonly config: RedisConfig) {}

  /** Opens (or reuses) the health connection to `address`. */
  async connect(address: string, auth: PingerAuth): Promise<void> {
    await this.#connected(address, auth);
  }

  /** Sends one command to `address` over its health connection (connecting first if needed). */
  async send(address: string, args: RedisArg[], auth: PingerAuth): Promise<unknown> {
    const client = await this.#connected(address, auth);
    return client.sendCommand(args);
  }

  async close(): Promise<void> {
    for (const { client } of this.#clients.values()) if (client.isOpen) client.destroy();
    this.#clients.clear();
  }

  #connected(address: string, auth: PingerAuth): Promise<Client> {
    const existing = this.#clients.get(address);
    if (existing?.client.isOpen) return existing.ready;
    const at = address.lastIndexOf(':');
    const client = createClient({
      ...(auth.username === undefined ? {} : { username: auth.username }),
      ...(auth.password === undefined ? {} : { password: auth.password }),
      disableOfflineQueue: true,
      commandOptions: { timeout: 0 },
      socket: {
        host: address.slice(0, at),
        port: Number(address.slice(at + 1)),
        connectTimeout: this.config.connectTimeoutMs,
        reconnectStrategy: false,
        ...(this.config.tls ? { tls: true as const } : {}),
      },
    });
    client.on('error', () => {
      // Reported by the failed PING in health(); nothing else depends on this connection.
    });
    const ready = client.connect().then((): Client => client);
    ready.catch(() => {});
    this.#clients.set(address, { client, ready });
    return ready;
  }
}
