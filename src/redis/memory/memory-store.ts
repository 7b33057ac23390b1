/**
 * `MemoryStore`: the `Store` interface in process. Used in memory mode (no Redis configured) and
 * by modules as their local fallback. It never fails for availability reasons; it throws only what
 * Redis would (WRONGTYPE, not an integer, wrong script arity).
 */
import { ValidationError } from '../../errors.js';
import type { Script, ScriptReply } from '../script.js';
import type {
  MessageListener,
  RedisValue,
  ScoredMember,
  SetOptions,
  Store,
  SubscribeOptions,
  Unsubscribe,
} from '../store.js';
import { MemoryData } from './data.js';
import { MemoryPubSub } from './pubsub.js';

export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  readonly data: MemoryData;
  readonly #pubsub: MemoryPubSub;

  /** Stores created with the same `pubsub` deliver messages to each other (used by tests). */
  constructor(options: { data?: MemoryData; pubsub?: MemoryPubSub } = {}) {
    this.data = options.data ?? new MemoryData();
    this.#pubsub = options.pubsub ?? new MemoryPubSub();
  }

  close(): void {
    this.data.close();
  }

  async get(key: string): Promise<string | null> {
    return this.data.get(key);
  }

  async getBuffer(key: string): Promise<Buffer | null> {
    const value = this.data.getRaw(key);
    if (value === null) return null;
    return Buffer.isBuffer(value) ? Buffer.from(value) : Buffer.from(value);
  }

  async mGet(keys: readonly string[]): Promise<(string | null)[]> {
    return keys.map((key) => {
      try {
        return this.data.get(key);
      } catch {
        return null; // MGET answers nil for keys of another type.
      }
    });
  }

  async set(key: string, value: RedisValue, options?: SetOptions): Promise<boolean> {
    return this.data.set(key, value, options);
  }

  async del(keys: readonly string[]): Promise<number> {
    return keys.filter((key) => this.data.del(key)).length;
  }

  async unlink(keys: readonly string[]): Promise<number> {
    return this.del(keys);
  }

  async exists(key: string): Promise<boolean> {
    return this.data.exists(key);
  }

  async incrBy(key: string, by: number): Promise<number> {
    return this.data.incrBy(key, by);
  }

  async pExpire(key: string, ms: number): Promise<boolean> {
    return this.data.pExpire(key, ms);
  }

  async pTtl(key: string): Promise<number> {
    return this.data.pTtl(key);
  }

  async hSet(key: string, fields: Record<string, RedisValue | number>): Promise<number> {
    return this.data.hSet(key, fields);
  }

  async hGet(key: string, field: string): Promise<string | null> {
    return this.data.hGet(key, field);
  }

  async hGetAll(key: string): Promise<Record<string, string>> {
    return this.data.hGetAll(key);
  }

  async hDel(key: string, fields: readonly string[]): Promise<number> {
    return this.data.hDel(key, fields);
  }

  async hIncrBy(key: string, field: string, by: number): Promise<number> {
    return this.data.hIncrBy(key, field, by);
  }

  async sAdd(key: string, members: readonly string[]): Promise<number> {
    return this.data.sAdd(key, members);
  }

  async sRem(key: string, members: readonly string[]): Promise<number> {
    return this.data.sRem(key, members);
  }

  async sMembers(key: string): Promise<string[]> {
    return this.data.sMembers(key);
  }

  async sCard(key: string): Promise<number> {
    return this.data.sCard(key);
  }

  async zAdd(key: string, members: readonly ScoredMember[]): Promise<number> {
    return this.data.zAdd(key, members);
  }

  async zRem(key: string, members: readonly string[]): Promise<number> {
    return this.data.zRem(key, members);
  }

  async zScore(key: string, member: string): Promise<number | null> {
    return this.data.zScore(key, member);
  }

  async zRangeByScore(key: string, min: number, max: number, limit?: number): Promise<string[]> {
    return this.data.zRangeByScore(key, min, max, limit);
  }

  async zRemRangeByScore(key: string, min: number, max: number): Promise<number> {
    return this.data.zRemRangeByScore(key, min, max);
  }

  async zCard(key: string): Promise<number> {
    return this.data.zCard(key);
  }

  async lPush(key: string, values: readonly string[]): Promise<number> {
    return this.data.lPush(key, values);
  }

  async lTrim(key: string, start: number, stop: number): Promise<void> {
    this.data.lTrim(key, start, stop);
  }

  async lRange(key: string, start: number, stop: number): Promise<string[]> {
    return this.data.lRange(key, start, stop);
  }

  async *scan(pattern: string, batchSize = 500): AsyncIterable<string[]> {
    const keys = this.data.keys(pattern);
    for (let i = 0; i < keys.length; i += batchSize) yield keys.slice(i, i + batchSize);
  }

  async runScript(
    script: Script,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<ScriptReply> {
    checkArity(script, keys);
    return script.local(this.data, keys, args.map(String));
  }

  async publish(channel: string, message: string): Promise<number> {
    return this.#pubsub.publish(channel, message);
  }

  async subscribe(
    channel: string,
    listener: MessageListener,
    options?: SubscribeOptions,
  ): Promise<Unsubscribe> {
    return this.#pubsub.subscribe(channel, listener, options?.pattern === true);
  }

  async ping(): Promise<number> {
    return 0;
  }
}

export function checkArity(script: Script, keys: readonly string[]): void {
  if (keys.length !== script.numberOfKeys) {
    throw new ValidationError(
      `Script ${script.name} takes ${script.numberOfKeys} keys, ${keys.length} were given`,
    );
  }
}
