/**
 * Small side connections (health checks, slot-map reads, sentinel watchers) made from one client
 * class per process.
 *
 * node-redis's `createClient()` builds a new client class on every call: every command, and every
 * command of every bundled module (JSON, Search, TimeSeries, Bloom), attached to a fresh prototype.
 * The first call in a process took 127 ms and 6 MB of heap on a quiet machine; later ones cost a
 * few hundred KB of garbage each. These side connections are opened on failure paths (the first
 * slot-map read after a Cluster master stops answering), where that work blocked the event loop
 * for up to 200 ms on a loaded machine and so delayed every command timeout due meanwhile
 * (test/integration/redis/cluster-failover.test.ts, "bounds calls to a paused master").
 *
 * `RedisClient.factory` caches the class it builds per config object, so one constant config (no
 * modules: these connections send bare commands) gives one class per process; `warmBareClients()`
 * builds it at startup, when a topology is made, and a connection then costs about 0.1 ms.
 */
import { RedisClient, type RedisClientOptions } from 'redis';

/** The factory's cache key: the same object every time. */
const CLASS_CONFIG = {};

/** The little of a client the side connections need (the factory's generic type is unwieldy). */
export interface BareClient {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  sendCommand(args: (string | Buffer)[]): Promise<unknown>;
  subscribe(channel: string, listener: (message: string) => void): Promise<void>;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  destroy(): void;
}

let make: ((options: RedisClientOptions) => unknown) | undefined;

/** Builds the shared client class now (at startup) rather than on the first failure. */
export function warmBareClients(): void {
  make ??= RedisClient.factory(CLASS_CONFIG) as (options: RedisClientOptions) => unknown;
}

/** A client without modules, made from the shared class. */
export function createBareClient(options: RedisClientOptions): BareClient {
  warmBareClients();
  return make!(options) as BareClient;
}
