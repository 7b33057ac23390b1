/**
 * A topology adapts one node-redis client kind (single node, Sentinel, Cluster), or Upstash's REST
 * API (rest), to the few operations the connection layer needs. Everything above it (timeouts, breaker, stats, the
 * Store API) is written once, in executor.ts and redis-store.ts.
 */
import type { MessageListener } from '../store.js';

export type RedisArg = string | Buffer;

export interface SendOptions {
  /** The first key, which picks the node on Cluster. */
  key: string | undefined;
  readonly: boolean;
  /** Return bulk strings as Buffers. */
  buffers: boolean;
}

/** One node that can be sent commands directly (SCAN runs on each master). */
export interface NodeTarget {
  address: string;
  send(args: RedisArg[]): Promise<unknown>;
}

export interface NodeStatus {
  address: string;
  role: 'master' | 'replica' | 'sentinel';
  reachable: boolean;
  latencyMs: number | null;
  error?: string;
}

export interface TopologyEvents {
  /** A connection the layer depends on was lost; the breaker opens at once. */
  lost(reason: string): void;
  /**
   * The master (Sentinel) or the slot map (Cluster) changed, e.g. after a failover: the layer
   * probes at once instead of waiting for its next health check, and re-applies subscriptions.
   */
  changed(reason: string): void;
}

/**
 * `any`: usable if any master answers (the layer is ready and some slots may still work).
 * `all`: every master answers and the deployment says it is whole; used to leave `degraded`, so
 * that the layer does not flap between ready and degraded while part of a Cluster is down.
 */
export type ProbeMode = 'any' | 'all';

export interface Topology {
  readonly name: 'single' | 'sentinel' | 'cluster' | 'rest';
  connect(): Promise<void>;
  close(): Promise<void>;
  send(args: RedisArg[], options: SendOptions): Promise<unknown>;
  /** Address of the node that serves `key`, for per-node statistics. */
  nodeFor(key: string | undefined): string;
  /** The current masters, each addressable directly. */
  masters(): NodeTarget[];
  publish(channel: string, message: string): Promise<number>;
  /** Subscribes on the dedicated subscriber connection(s); resolves when the server confirmed. */
  subscribe(channel: string, listener: MessageListener, pattern: boolean): Promise<void>;
  unsubscribe(channel: string, listener: MessageListener, pattern: boolean): Promise<void>;
  /** PINGs what must be reachable for the layer to be usable; throws if it is not. */
  probe(mode: ProbeMode): Promise<void>;
  /**
   * A call to `node` failed for availability reasons (connection lost, timeout, CLUSTERDOWN).
   * Cluster uses it to refresh its slot map, which is how a promoted replica is found quickly.
   */
  noteFailure?(node: string): void;
  /** Every known node with its role, reachability and latency. */
  nodes(timeoutMs: number): Promise<NodeStatus[]>;
  /**
   * host:port of every node that must answer for the layer to be usable again (the return
   * probe's targets while degraded); empty when not known yet.
   */
  returnTargets(): string[];
  /**
   * The return probe saw every target answer: connections waiting out their reconnect back-off
   * are replaced by fresh ones connecting now. Connections that are up are left alone.
   */
  reconnectNow(): void;
}
