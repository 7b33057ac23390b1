/**
 * Side connections to nodes the layer does not otherwise talk to (sentinels, replicas), and to
 * read a Cluster's slot map while a master fails (cluster-refresh.ts): one small client per
 * address, created on first use and kept for the next use. They never reconnect by themselves (a
 * dead replica must not cost a reconnect loop); a closed one is replaced on the next check. Never
 * on the command path; made from the shared class of bare-client.ts, since some are opened on
 * failure paths.
 */
import type { RedisConfig } from '../../config/redis.js';
import { type BareClient as Client, createBareClient, warmBareClients } from './bare-client.js';
import type { RedisArg } from './topology.js';

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

  constructor(private readonly config: RedisConfig) {
    // Connections are opened on failure paths: the client class is built now (see bare-client.ts).
    warmBareClients();
  }

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
    const client = createBareClient({
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
    const ready = client.connect().then(() => client);
    ready.catch(() => {});
    this.#clients.set(address, { client, ready });
    return ready;
  }
}
