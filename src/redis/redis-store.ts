/**
 * `RedisStore`: the `Store` interface over a real Redis (single node, Sentinel or Cluster).
 * Every method builds its command once and sends it through the executor, which applies the
 * command timeout, the circuit breaker and the statistics.
 */
import { RedisCommandError } from '../errors.js';
import type { Executor } from './executor.js';
import { checkArity } from './memory/memory-store.js';
import type { Script, ScriptReply } from './script.js';
import type {
  MessageListener,
  RedisValue,
  ScoredMember,
  SetOptions,
  Store,
  SubscribeOptions,
  Unsubscribe,
} from './store.js';
import type { Subscriptions } from './subscriptions.js';
import { hashSlot } from './topology/slot.js';
import type { NodeTarget, RedisArg, Topology } from './topology/topology.js';

export class RedisStore implements Store {
  readonly kind = 'redis' as const;

  constructor(
    private readonly topology: Topology,
    private readonly executor: Executor,
    private readonly subscriptions: Subscriptions,
  ) {}

  #send<T>(
    key: string | undefined,
    readonly: boolean,
    args: RedisArg[],
    buffers = false,
    map?: (reply: unknown) => T,
  ): Promise<T> {
    return this.executor.send<T>(this.topology, args, { key, readonly, buffers }, map);
  }

  #read<T>(key: string, args: RedisArg[], map?: (reply: unknown) => T): Promise<T> {
    return this.#send<T>(key, true, args, false, map);
  }

  #write<T>(key: string, args: RedisArg[], map?: (reply: unknown) => T): Promise<T> {
    return this.#send<T>(key, false, args, false, map);
  }

  get(key: string): Promise<string | null> {
    return this.#read(key, ['GET', key]);
  }

  getBuffer(key: string): Promise<Buffer | null> {
    return this.#send(key, true, ['GET', key], true);
  }

  async mGet(keys: readonly string[]): Promise<(string | null)[]> {
    const result = new Array<string | null>(keys.length).fill(null);
    await Promise.all(
      this.#bySlot(keys).map(async (indexes) => {
        const group = indexes.map((i) => keys[i]!);
        const values = await this.#read<(string | null)[]>(group[0]!, ['MGET', ...group]);
        indexes.forEach((at, i) => {
          result[at] = values[i] ?? null;
        });
      }),
    );
    return result;
  }

  set(key: string, value: RedisValue, options?: SetOptions): Promise<boolean> {
    const args: RedisArg[] = ['SET', key, value];
    if (options !== undefined) {
      if (options.px !== undefined) args.push('PX', String(options.px));
      if (options.nx) args.push('NX');
      if (options.xx) args.push('XX');
    }
    return this.#write(key, args, isNotNull);
  }

  del(keys: readonly string[]): Promise<number> {
    return this.#multiKeyCount('DEL', keys);
  }

  unlink(keys: readonly string[]): Promise<number> {
    return this.#multiKeyCount('UNLINK', keys);
  }

  exists(key: string): Promise<boolean> {
    return this.#read(key, ['EXISTS', key], isOne);
  }

  incrBy(key: string, by: number): Promise<number> {
    return this.#write(key, ['INCRBY', key, String(by)]);
  }

  pExpire(key: string, ms: number): Promise<boolean> {
    return this.#write(key, ['PEXPIRE', key, String(ms)], isOne);
  }

  pTtl(key: string): Promise<number> {
    return this.#read(key, ['PTTL', key]);
  }

  hSet(key: string, fields: Record<string, RedisValue | number>): Promise<number> {
    const args: RedisArg[] = ['HSET', key];
    for (const [field, value] of Object.entries(fields))
      args.push(field, typeof value === 'number' ? String(value) : value);
    return this.#write(key, args);
  }

  hGet(key: string, field: string): Promise<string | null> {
    return this.#read(key, ['HGET', key, field]);
  }

  hGetAll(key: string): Promise<Record<string, string>> {
    return this.#read(key, ['HGETALL', key], toRecord);
  }

  hDel(key: string, fields: readonly string[]): Promise<number> {
    return fields.length === 0 ? Promise.resolve(0) : this.#write(key, ['HDEL', key, ...fields]);
  }

  hIncrBy(key: string, field: string, by: number): Promise<number> {
    return this.#write(key, ['HINCRBY', key, field, String(by)]);
  }

  sAdd(key: string, members: readonly string[]): Promise<number> {
    return members.length === 0 ? Promise.resolve(0) : this.#write(key, ['SADD', key, ...members]);
  }

  sRem(key: string, members: readonly string[]): Promise<number> {
    return members.length === 0 ? Promise.resolve(0) : this.#write(key, ['SREM', key, ...members]);
  }

  async sMembers(key: string): Promise<string[]> {
    return [...(await this.#read<Iterable<string>>(key, ['SMEMBERS', key]))];
  }

  sCard(key: string): Promise<number> {
    return this.#read(key, ['SCARD', key]);
  }

  zAdd(key: string, members: readonly ScoredMember[]): Promise<number> {
    if (members.length === 0) return Promise.resolve(0);
    const args: RedisArg[] = ['ZADD', key];
    for (const { score, member } of members) args.push(String(score), member);
    return this.#write(key, args);
  }

  zRem(key: string, members: readonly string[]): Promise<number> {
    return members.length === 0 ? Promise.resolve(0) : this.#write(key, ['ZREM', key, ...members]);
  }

  async zScore(key: string, member: string): Promise<number | null> {
    const score = await this.#read<string | number | null>(key, ['ZSCORE', key, member]);
    return score === null ? null : Number(score);
  }

  zRangeByScore(key: string, min: number, max: number, limit?: number): Promise<string[]> {
    const args: RedisArg[] = ['ZRANGE', key, scoreArg(min), scoreArg(max), 'BYSCORE'];
    if (limit !== undefined) args.push('LIMIT', '0', String(limit));
    return this.#read(key, args);
  }

  zRemRangeByScore(key: string, min: number, max: number): Promise<number> {
    return this.#write(key, ['ZREMRANGEBYSCORE', key, scoreArg(min), scoreArg(max)]);
  }

  zCard(key: string): Promise<number> {
    return this.#read(key, ['ZCARD', key]);
  }

  lPush(key: string, values: readonly string[]): Promise<number> {
    return this.#write(key, ['LPUSH', key, ...values]);
  }

  async lTrim(key: string, start: number, stop: number): Promise<void> {
    await this.#write(key, ['LTRIM', key, String(start), String(stop)]);
  }

  lRange(key: string, start: number, stop: number): Promise<string[]> {
    return this.#read(key, ['LRANGE', key, String(start), String(stop)]);
  }

  async *scan(pattern: string, batchSize = 500): AsyncIterable<string[]> {
    for (const master of this.topology.masters()) {
      let cursor = '0';
      do {
        const reply = await this.#sendTo<[string, string[]]>(master, [
          'SCAN',
          cursor,
          'MATCH',
          pattern,
          'COUNT',
          String(batchSize),
        ]);
        cursor = String(reply[0]);
        if (reply[1].length > 0) yield reply[1];
      } while (cursor !== '0');
    }
  }

  async runScript(
    script: Script,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<ScriptReply> {
    checkArity(script, keys);
    const tail = [String(keys.length), ...keys, ...args.map(String)];
    const key = keys[0];
    try {
      return await this.#send<ScriptReply>(key, false, ['EVALSHA', script.sha1, ...tail]);
    } catch (error) {
      if (!(error instanceof RedisCommandError && /NOSCRIPT/.test(error.message))) throw error;
      // First run on this node (or it restarted, or failed over): EVAL runs and caches the script.
      return await this.#send<ScriptReply>(key, false, ['EVAL', script.source, ...tail]);
    }
  }

  publish(channel: string, message: string): Promise<number> {
    return this.executor.run('PUBLISH', this.topology.nodeFor(channel), () =>
      this.topology.publish(channel, message),
    );
  }

  subscribe(channel: string, listener: MessageListener, options?: SubscribeOptions): Promise<Unsubscribe> {
    return this.subscriptions.add(channel, listener, options?.pattern === true);
  }

  async ping(): Promise<number> {
    const start = performance.now();
    await this.#send(undefined, true, ['PING']);
    return performance.now() - start;
  }

  #sendTo<T>(target: NodeTarget, args: RedisArg[]): Promise<T> {
    return this.executor.run<T>(args[0] as string, target.address, () => target.send(args));
  }

  async #multiKeyCount(command: string, keys: readonly string[]): Promise<number> {
    const counts = await Promise.all(
      this.#bySlot(keys).map((indexes) => {
        const group = indexes.map((i) => keys[i]!);
        return this.#write<number>(group[0]!, [command, ...group]);
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  /** Indexes of `keys` grouped so each group can go in one command (one slot on Cluster). */
  #bySlot(keys: readonly string[]): number[][] {
    if (keys.length === 0) return [];
    if (this.topology.name !== 'cluster') return [keys.map((_, i) => i)];
    const groups = new Map<number, number[]>();
    keys.forEach((key, i) => {
      const slot = hashSlot(key);
      const group = groups.get(slot);
      if (group === undefined) groups.set(slot, [i]);
      else group.push(i);
    });
    return [...groups.values()];
  }
}

const isNotNull = (reply: unknown): boolean => reply !== null;
const isOne = (reply: unknown): boolean => reply === 1;

function scoreArg(score: number): string {
  if (score === Number.POSITIVE_INFINITY) return '+inf';
  if (score === Number.NEGATIVE_INFINITY) return '-inf';
  return String(score);
}

/** HGETALL answers a flat array with RESP2 and a map with RESP3. */
function toRecord(reply: unknown): Record<string, string> {
  if (Array.isArray(reply)) {
    const record: Record<string, string> = {};
    for (let i = 0; i + 1 < reply.length; i += 2) record[String(reply[i])] = String(reply[i + 1]);
    return record;
  }
  if (reply instanceof Map) return Object.fromEntries([...reply].map(([k, v]) => [String(k), String(v)]));
  return { ...(reply as Record<string, string>) };
}
