/**
 * The in-process data behind `MemoryStore`: a Map of typed entries with millisecond expiry,
 * following Redis semantics (lazy expiry on access plus a periodic sweep, WRONGTYPE errors,
 * empty collections deleted). Its methods are synchronous so that a script's JavaScript twin,
 * which calls them directly, runs atomically just as Lua does on Redis.
 */
import { RedisCommandError } from '../../errors.js';
import type { RedisValue, ScoredMember, SetOptions } from '../store.js';
import { globMatcher } from './glob.js';

type Entry =
  | { type: 'string'; value: RedisValue; expiresAt: number }
  | { type: 'hash'; value: Map<string, string>; expiresAt: number }
  | { type: 'set'; value: Set<string>; expiresAt: number }
  | { type: 'zset'; value: Map<string, number>; expiresAt: number }
  | { type: 'list'; value: string[]; expiresAt: number };

type EntryType = Entry['type'];
type EntryOf<T extends EntryType> = Extract<Entry, { type: T }>;

/** `expiresAt` of an entry that never expires. */
const NEVER = Number.POSITIVE_INFINITY;
const SWEEP_INTERVAL_MS = 1000;

export class MemoryData {
  readonly #entries = new Map<string, Entry>();
  readonly #expiring = new Set<string>();
  readonly #sweeper: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now) {
    this.#sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.#sweeper.unref();
  }

  close(): void {
    clearInterval(this.#sweeper);
  }

  /** Removes every expired entry now (otherwise done each second and on access). */
  sweep(): void {
    const now = this.now();
    for (const key of this.#expiring) {
      const entry = this.#entries.get(key);
      if (entry === undefined || entry.expiresAt <= now) this.#remove(key);
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  // --- keys -------------------------------------------------------------------------------------

  exists(key: string): boolean {
    return this.#live(key) !== undefined;
  }

  del(key: string): boolean {
    const existed = this.exists(key);
    this.#remove(key);
    return existed;
  }

  pExpire(key: string, ms: number): boolean {
    const entry = this.#live(key);
    if (entry === undefined) return false;
    if (ms <= 0) {
      this.#remove(key);
      return true;
    }
    this.#setExpiry(key, entry, this.now() + ms);
    return true;
  }

  pTtl(key: string): number {
    const entry = this.#live(key);
    if (entry === undefined) return -2;
    return entry.expiresAt === NEVER ? -1 : Math.max(0, Math.ceil(entry.expiresAt - this.now()));
  }

  keys(pattern: string): string[] {
    const matches = globMatcher(pattern);
    const result: string[] = [];
    for (const key of this.#entries.keys()) {
      if (matches(key) && this.exists(key)) result.push(key);
    }
    return result;
  }

  // --- strings ----------------------------------------------------------------------------------

  getRaw(key: string): RedisValue | null {
    const entry = this.#typed(key, 'string');
    return entry === undefined ? null : entry.value;
  }

  get(key: string): string | null {
    const value = this.getRaw(key);
    return value === null ? null : value.toString();
  }

  set(key: string, value: RedisValue, options: SetOptions = {}): boolean {
    const exists = this.exists(key);
    if ((options.nx && exists) || (options.xx && !exists)) return false;
    const stored = Buffer.isBuffer(value) ? Buffer.from(value) : value;
    this.#remove(key);
    const entry: Entry = { type: 'string', value: stored, expiresAt: NEVER };
    this.#entries.set(key, entry);
    if (options.px !== undefined) this.#setExpiry(key, entry, this.now() + options.px);
    return true;
  }

  incrBy(key: string, by: number): number {
    const entry = this.#typed(key, 'string');
    const current = entry === undefined ? 0 : toInteger(entry.value.toString(), 'INCRBY');
    const next = current + by;
    if (entry === undefined) {
      this.#entries.set(key, { type: 'string', value: String(next), expiresAt: NEVER });
    } else {
      entry.value = String(next);
    }
    return next;
  }

  // --- hashes -----------------------------------------------------------------------------------

  hSet(key: string, fields: Record<string, RedisValue | number>): number {
    const hash = this.#collection(key, 'hash', () => new Map<string, string>());
    let added = 0;
    for (const [field, value] of Object.entries(fields)) {
      if (!hash.value.has(field)) added++;
      hash.value.set(field, value.toString());
    }
    return added;
  }

  hGet(key: string, field: string): string | null {
    return this.#typed(key, 'hash')?.value.get(field) ?? null;
  }

  hGetAll(key: string): Record<string, string> {
    return Object.fromEntries(this.#typed(key, 'hash')?.value ?? []);
  }

  hDel(key: string, fields: readonly string[]): number {
    const hash = this.#typed(key, 'hash');
    if (hash === undefined) return 0;
    let removed = 0;
    for (const field of fields) if (hash.value.delete(field)) removed++;
    this.#dropIfEmpty(key, hash.value.size);
    return removed;
  }

  hIncrBy(key: string, field: string, by: number): number {
    const hash = this.#collection(key, 'hash', () => new Map<string, string>());
    const current = hash.value.has(field) ? toInteger(hash.value.get(field)!, 'HINCRBY') : 0;
    hash.value.set(field, String(current + by));
    return current + by;
  }

  // --- sets -------------------------------------------------------------------------------------

  sAdd(key: string, members: readonly string[]): number {
    const set = this.#collection(key, 'set', () => new Set<string>());
    const before = set.value.size;
    for (const member of members) set.value.add(member);
    return set.value.size - before;
  }

  sRem(key: string, members: readonly string[]): number {
    const set = this.#typed(key, 'set');
    if (set === undefined) return 0;
    let removed = 0;
    for (const member of members) if (set.value.delete(member)) removed++;
    this.#dropIfEmpty(key, set.value.size);
    return removed;
  }

  sMembers(key: string): string[] {
    return [...(this.#typed(key, 'set')?.value ?? [])];
  }

  sCard(key: string): number {
    return this.#typed(key, 'set')?.value.size ?? 0;
  }

  // --- sorted sets ------------------------------------------------------------------------------

  zAdd(key: string, members: readonly ScoredMember[]): number {
    const zset = this.#collection(key, 'zset', () => new Map<string, number>());
    let added = 0;
    for (const { score, member } of members) {
      if (!zset.value.has(member)) added++;
      zset.value.set(member, score);
    }
    return added;
  }

  zRem(key: string, members: readonly string[]): number {
    const zset = this.#typed(key, 'zset');
    if (zset === undefined) return 0;
    let removed = 0;
    for (const member of members) if (zset.value.delete(member)) removed++;
    this.#dropIfEmpty(key, zset.value.size);
    return removed;
  }

  zScore(key: string, member: string): number | null {
    return this.#typed(key, 'zset')?.value.get(member) ?? null;
  }

  zRangeByScore(key: string, min: number, max: number, limit?: number): string[] {
    const zset = this.#typed(key, 'zset');
    if (zset === undefined) return [];
    const inRange = [...zset.value].filter(([, score]) => score >= min && score <= max);
    // Redis orders equal scores lexicographically by member.
    inRange.sort(([ma, a], [mb, b]) => a - b || (ma < mb ? -1 : ma > mb ? 1 : 0));
    const members = inRange.map(([member]) => member);
    return limit === undefined ? members : members.slice(0, limit);
  }

  zRemRangeByScore(key: string, min: number, max: number): number {
    const members = this.zRangeByScore(key, min, max);
    return this.zRem(key, members);
  }

  zCard(key: string): number {
    return this.#typed(key, 'zset')?.value.size ?? 0;
  }

  // --- lists ------------------------------------------------------------------------------------

  lPush(key: string, values: readonly string[]): number {
    const list = this.#collection(key, 'list', () => [] as string[]);
    for (const value of values) list.value.unshift(value);
    return list.value.length;
  }

  lTrim(key: string, start: number, stop: number): void {
    const list = this.#typed(key, 'list');
    if (list === undefined) return;
    const [from, to] = listRange(list.value.length, start, stop);
    list.value = list.value.slice(from, to + 1);
    this.#dropIfEmpty(key, list.value.length);
  }

  lRange(key: string, start: number, stop: number): string[] {
    const list = this.#typed(key, 'list');
    if (list === undefined) return [];
    const [from, to] = listRange(list.value.length, start, stop);
    return list.value.slice(from, to + 1);
  }

  // --- internals --------------------------------------------------------------------------------

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry !== undefined && entry.expiresAt <= this.now()) {
      this.#remove(key);
      return undefined;
    }
    return entry;
  }

  #typed<T extends EntryType>(key: string, type: T): EntryOf<T> | undefined {
    const entry = this.#live(key);
    if (entry === undefined) return undefined;
    if (entry.type !== type) {
      throw new RedisCommandError(
        type.toUpperCase(),
        new Error('WRONGTYPE Operation against a key holding the wrong kind of value'),
      );
    }
    return entry as EntryOf<T>;
  }

  #collection<T extends Exclude<EntryType, 'string'>>(
    key: string,
    type: T,
    create: () => EntryOf<T>['value'],
  ): EntryOf<T> {
    const existing = this.#typed(key, type);
    if (existing !== undefined) return existing;
    const entry = { type, value: create(), expiresAt: NEVER } as EntryOf<T>;
    this.#entries.set(key, entry);
    return entry;
  }

  #dropIfEmpty(key: string, size: number): void {
    if (size === 0) this.#remove(key);
  }

  #setExpiry(key: string, entry: Entry, at: number): void {
    entry.expiresAt = at;
    this.#expiring.add(key);
  }

  #remove(key: string): void {
    this.#entries.delete(key);
    this.#expiring.delete(key);
  }
}

function toInteger(value: string, command: string): number {
  if (!/^-?\d+$/.test(value)) {
    throw new RedisCommandError(command, new Error('ERR value is not an integer or out of range'));
  }
  return Number(value);
}

/** Redis list indexes (negative from the end) as an inclusive [from, to] range. */
function listRange(length: number, start: number, stop: number): [number, number] {
  const from = Math.max(0, start < 0 ? length + start : start);
  const to = Math.min(length - 1, stop < 0 ? length + stop : stop);
  return [from, to];
}
