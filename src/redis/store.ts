/**
 * `Store`: the small set of Redis primitives every Plexus module is written against.
 *
 * Two implementations exist: `RedisStore` (single node, Sentinel or Cluster, every call through
 * the one executor that applies the timeout, breaker and stats) and `MemoryStore` (in-process,
 * same semantics, used in memory mode and as the local fallback). The conformance suite in
 * test/conformance/store.test.ts runs the same cases against both.
 *
 * Multi-key calls (`mGet`, `del`, `unlink`) are split by hash slot on Cluster, so callers may pass
 * keys from different slots; they are then atomic per slot only.
 */
import type { Script, ScriptReply } from './script.js';

export type RedisValue = string | Buffer;

export interface SetOptions {
  /** Expiry in milliseconds. */
  px?: number;
  /** Only set when the key does not exist. */
  nx?: boolean;
  /** Only set when the key exists. */
  xx?: boolean;
}

export interface ScoredMember {
  score: number;
  member: string;
}

export type MessageListener = (message: string, channel: string) => void;

export interface SubscribeOptions {
  /** Treat `channel` as a glob pattern (PSUBSCRIBE). Never sharded on Cluster. */
  pattern?: boolean;
}

/** Removes the subscription; resolves once the server has confirmed. */
export type Unsubscribe = () => Promise<void>;

export interface Store {
  readonly kind: 'memory' | 'redis';

  get(key: string): Promise<string | null>;
  getBuffer(key: string): Promise<Buffer | null>;
  mGet(keys: readonly string[]): Promise<(string | null)[]>;
  /** Returns false when NX/XX prevented the write. */
  set(key: string, value: RedisValue, options?: SetOptions): Promise<boolean>;
  del(keys: readonly string[]): Promise<number>;
  /** Like `del`, but the server frees memory in the background. */
  unlink(keys: readonly string[]): Promise<number>;
  exists(key: string): Promise<boolean>;
  incrBy(key: string, by: number): Promise<number>;
  pExpire(key: string, ms: number): Promise<boolean>;
  /** Milliseconds left; -1 when the key has no expiry, -2 when it does not exist. */
  pTtl(key: string): Promise<number>;

  hSet(key: string, fields: Record<string, RedisValue | number>): Promise<number>;
  hGet(key: string, field: string): Promise<string | null>;
  hGetAll(key: string): Promise<Record<string, string>>;
  hDel(key: string, fields: readonly string[]): Promise<number>;
  hIncrBy(key: string, field: string, by: number): Promise<number>;

  sAdd(key: string, members: readonly string[]): Promise<number>;
  sRem(key: string, members: readonly string[]): Promise<number>;
  sMembers(key: string): Promise<string[]>;
  sCard(key: string): Promise<number>;

  zAdd(key: string, members: readonly ScoredMember[]): Promise<number>;
  zRem(key: string, members: readonly string[]): Promise<number>;
  zScore(key: string, member: string): Promise<number | null>;
  /** Members with min <= score <= max, lowest score first. */
  zRangeByScore(key: string, min: number, max: number, limit?: number): Promise<string[]>;
  zRemRangeByScore(key: string, min: number, max: number): Promise<number>;
  zCard(key: string): Promise<number>;

  lPush(key: string, values: readonly string[]): Promise<number>;
  lTrim(key: string, start: number, stop: number): Promise<void>;
  lRange(key: string, start: number, stop: number): Promise<string[]>;

  /** Iterates keys matching a glob pattern, in batches, over every master on Cluster. Never KEYS. */
  scan(pattern: string, batchSize?: number): AsyncIterable<string[]>;

  runScript(
    script: Script,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<ScriptReply>;

  /** Returns how many subscribers received it (on Cluster: on the shard that owns the channel). */
  publish(channel: string, message: string): Promise<number>;
  subscribe(channel: string, listener: MessageListener, options?: SubscribeOptions): Promise<Unsubscribe>;

  /** Round-trip time in milliseconds. */
  ping(): Promise<number>;
}
