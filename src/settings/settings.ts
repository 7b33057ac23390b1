/**
 * `Settings`: configuration values kept in the database and read through three tiers — this
 * process's memory, Redis, the database (seed 004, "Configuration Cache Strategy").
 *
 * Reads go through the shared cache's namespace `settings` (src/cache/): L1 then L2 then a loader
 * that reads the `settings` table, with `lock: true`, so one instance loads a key for the whole
 * cluster while the others wait for its value, and one read per key and instance is in flight
 * (the cache's single-flight). Entries live SETTINGS_TTL_MS in both tiers (seed: 60 s), so an
 * instance that missed an invalidation serves an old value at most that long; past it they are
 * kept SETTINGS_STALE_MS more and served when the database cannot be read (stale-if-error,
 * reported by `health()`).
 *
 * Writes: the database first (a compare-and-set on the version, repository.ts), then the cache
 * (`set` fills this instance's L1, writes L2 and queues the invalidation), then the invalidation
 * is published and the write waits (at most SETTINGS_WRITE_WAIT_MS) until every other instance
 * listening has confirmed it dropped its copy (`Cache.awaitInvalidations`): a read on any
 * instance after `set` returns sees the new value. Last a
 * `plexus:config:refresh` bus message carries the change to the handlers registered with
 * `onChange` on every instance (the seed's "refresh broadcast"); an instance receiving it also
 * drops its copy itself, in case the invalidation is late or lost. While Redis is unreachable a
 * write still reaches the database and this instance; the cache journals its invalidation and
 * sends it when Redis is back.
 *
 * Reads never go back: each instance remembers the newest version it has seen of each key (from
 * its reads, its writes and refresh broadcasts). A tier answering with an older version (a Redis
 * Cluster replica promoted before it received the last write, an invalidation lost) is not
 * served: that copy is deleted everywhere (L2 and every L1) and the value is read again from the
 * database, whose answer is taken as it is. The memory this costs is one number per existing key
 * read, bounded by the settings table.
 */
import type { Bus } from '../bus/bus.js';
import type { Cache } from '../cache/cache.js';
import type { CacheNamespace } from '../cache/namespace.js';
import type { EntryOptions, GetOrSetOptions } from '../cache/types.js';
import type { SettingsConfig } from '../config/settings.js';
import type { Database } from '../db/database.js';
import { type Logger, silentLogger } from '../logger.js';
import { decodeCursor, encodeCursor } from '../pagination/cursor.js';
import type { Unsubscribe } from '../redis/store.js';
import { SettingsError } from './errors.js';
import { SettingsRepository, type WriteHook } from './repository.js';
import type { JsonValue, SettingChange, SettingEntry, SettingsHealth, WriteOptions } from './types.js';
import { checkCollection, checkKey, checkValue } from './validate.js';

export const REFRESH_CHANNEL = 'plexus:config:refresh';
/** Most entries one `list` page holds. */
export const MAX_PAGE = 200;

export interface SettingsOptions {
  db: Database;
  cache: Cache;
  bus: Bus;
  config: SettingsConfig;
  logger?: Logger;
}

export interface SettingsPage {
  items: SettingEntry[];
  /** Opaque; pass it back as `cursor` for the next page. Null on the last page. */
  next: string | null;
}

export type ChangeHandler = (change: SettingChange) => void | Promise<void>;

/** Checks a value about to be written to a constrained collection: a reason to refuse it, or null. */
export type ValueCheck = (key: string, value: JsonValue) => string | null;

export class Settings {
  readonly config: SettingsConfig;
  readonly repository: SettingsRepository;
  readonly #cache: Cache;
  readonly #ns: CacheNamespace;
  readonly #bus: Bus;
  readonly #logger: Logger;
  readonly #policy: GetOrSetOptions;
  readonly #entry: EntryOptions;
  readonly #handlers = new Set<ChangeHandler>();
  readonly #checks = new Map<string, ValueCheck>();
  /** The newest version of each key this instance has seen (cache key → version). */
  readonly #seen = new Map<string, number>();
  #unsubscribe: Promise<Unsubscribe> | undefined;
  readonly #health = {
    databaseReadable: true,
    staleServed: 0,
    lastError: null as string | null,
    lastErrorAt: null as number | null,
  };

  constructor(options: SettingsOptions) {
    this.config = options.config;
    this.repository = new SettingsRepository(options.db);
    this.#cache = options.cache;
    this.#ns = options.cache.namespace('settings');
    this.#bus = options.bus;
    this.#logger = options.logger ?? silentLogger;
    this.#entry = { ttl: this.config.ttlMs, l1Ttl: this.config.ttlMs, grace: this.config.staleMs };
    this.#policy = { ...this.#entry, lock: true };
  }

  /** Subscribes to refresh broadcasts and loads the warm-up patterns (SETTINGS_WARM). */
  async start(): Promise<void> {
    await this.#subscribe();
    await this.warm(this.config.warm).catch((error: unknown) =>
      this.#logger.warn({ err: error }, 'settings warm-up failed; values load on first use'),
    );
  }

  async close(): Promise<void> {
    const unsubscribe = this.#unsubscribe;
    this.#unsubscribe = undefined;
    if (unsubscribe !== undefined) await (await unsubscribe)().catch(() => {});
  }

  /** The entry, or null when there is none. Throws SETTINGS_UNAVAILABLE when nothing can be served. */
  async get<T extends JsonValue = JsonValue>(
    collection: string,
    key: string,
  ): Promise<SettingEntry<T> | null> {
    checkCollection(collection);
    checkKey(key);
    return (await this.#read(collection, key)) as SettingEntry<T> | null;
  }

  /** The value, or `fallback` when there is none. */
  async value<T extends JsonValue>(collection: string, key: string, fallback: T): Promise<T> {
    const entry = await this.get<T>(collection, key);
    return entry === null ? fallback : entry.value;
  }

  /**
   * The entry when this process holds a fresh, trusted copy (no I/O), null when it knows there is
   * none, undefined when it must ask (`get`). Does not validate its arguments: hot paths only.
   */
  peek(collection: string, key: string): SettingEntry | null | undefined {
    return this.#ns.peek<SettingEntry | null>(cacheKey(collection, key));
  }

  /**
   * Every value written to `collection` from now on must pass `check` (SETTINGS_INVALID, 400, and
   * nothing stored, when it does not): for collections whose keys a module reads as settings.
   */
  constrain(collection: string, check: ValueCheck): void {
    checkCollection(collection);
    this.#checks.set(collection, check);
  }

  /** `peek(collection, key)` as a function kept for one value read on a hot path (flags). */
  peeker(collection: string, key: string): () => SettingEntry | null | undefined {
    return this.#ns.peeker<SettingEntry | null>(cacheKey(collection, key));
  }

  /** Writes a value (database, Redis, every instance's memory); resolves to the stored entry. */
  async set<T extends JsonValue>(
    collection: string,
    key: string,
    value: T,
    options: WriteOptions = {},
    hook?: WriteHook,
  ): Promise<SettingEntry<T>> {
    checkCollection(collection);
    checkKey(key);
    checkValue(value, this.config.maxValueBytes);
    const problem = this.#checks.get(collection)?.(key, value) ?? null;
    if (problem !== null) {
      throw new SettingsError('SETTINGS_INVALID', `${collection}/${key}: ${problem}`, {
        details: { collection, key },
      });
    }
    const version = checkVersion(options.ifVersion);
    const by = options.by ?? 'system';
    return (await this.#write(collection, key, by, async () => {
      const entry = await this.repository.write(collection, key, value, by, version, hook);
      return { entry, created: entry.version === 1 };
    })) as SettingEntry<T>;
  }

  /** Deletes a value everywhere; resolves to what it held. Throws SETTINGS_NOT_FOUND. */
  async delete(
    collection: string,
    key: string,
    options: WriteOptions = {},
    hook?: WriteHook,
  ): Promise<SettingEntry> {
    checkCollection(collection);
    checkKey(key);
    const version = checkVersion(options.ifVersion);
    const by = options.by ?? 'system';
    let removed: SettingEntry | null = null;
    await this.#write(collection, key, by, async () => {
      removed = await this.repository.remove(collection, key, version, hook);
      if (removed === null) throw new SettingsError('SETTINGS_NOT_FOUND', `No value ${collection}/${key}`);
      return { entry: null, created: true };
    });
    return removed!;
  }

  /** One page of a collection's entries, in key order (from the database: an admin listing). */
  async list(collection: string, options: { cursor?: string; limit?: number } = {}): Promise<SettingsPage> {
    checkCollection(collection);
    const limit = options.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
      throw new SettingsError('SETTINGS_INVALID', `limit must be a whole number from 1 to ${MAX_PAGE}`);
    }
    const after = options.cursor === undefined ? undefined : decodeKeyCursor(options.cursor);
    const items = await this.repository.list(collection, after, limit + 1);
    const more = items.length > limit;
    const page = more ? items.slice(0, limit) : items;
    return { items: page, next: more ? encodeCursor({ k: page.at(-1)!.key }) : null };
  }

  /** The keys of a collection, through the tiers (flag listings). */
  async keys(collection: string): Promise<readonly string[]> {
    checkCollection(collection);
    return this.#ns.getOrSet(
      indexKey(collection),
      () => this.#loading(() => this.repository.keys(collection)),
      this.#policy,
    );
  }

  /** Loads every key matching the `collection:keyGlob` patterns into the tiers; resolves to how many. */
  async warm(patterns: readonly string[]): Promise<number> {
    let loaded = 0;
    for (const pattern of patterns) {
      const split = pattern.indexOf(':');
      const collection = pattern.slice(0, split);
      const match = globToRegExp(pattern.slice(split + 1));
      const keys = (await this.keys(collection)).filter((key) => match.test(key));
      await Promise.all(keys.map((key) => this.#read(collection, key)));
      loaded += keys.length;
    }
    return loaded;
  }

  /**
   * Calls `handler` on every instance after each change of a value (the refresh broadcast),
   * once the change is readable there. Returns a function that removes it.
   */
  onChange(handler: ChangeHandler): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  health(): SettingsHealth {
    return { ...this.#health };
  }

  async #read(collection: string, key: string): Promise<SettingEntry | null> {
    const id = cacheKey(collection, key);
    const load = () =>
      this.#ns.getOrSet<SettingEntry | null>(
        id,
        ({ stale }) => this.#loading(() => this.repository.read(collection, key), stale !== undefined),
        this.#policy,
      );
    const entry = await load();
    const seen = this.#seen.get(id);
    if (seen === undefined || (entry !== null && entry.version >= seen)) {
      this.#saw(id, entry?.version ?? null);
      return entry;
    }
    // Older than what this instance has seen (or absent since): a copy from before a failover or
    // a lost invalidation. Delete it everywhere and take the database's answer, whatever it is.
    this.#logger.warn(
      { collection, key, seen, got: entry?.version ?? null },
      'settings: older copy replaced',
    );
    try {
      await this.#ns.delete(id);
      const fresh = await load();
      this.#saw(id, fresh?.version ?? null, true);
      return fresh;
    } catch (error) {
      this.#logger.warn({ err: error, collection, key }, 'settings: an older copy could not be replaced');
      return entry;
    }
  }

  /** Records a version seen of `id` (null: deleted); only newer ones unless `authoritative`. */
  #saw(id: string, version: number | null, authoritative = false): void {
    if (version === null) {
      this.#seen.delete(id);
      return;
    }
    const seen = this.#seen.get(id);
    if (authoritative || seen === undefined || version > seen) this.#seen.set(id, version);
  }

  /** Runs a database read for the cache, recording whether the database answers. */
  async #loading<T>(read: () => Promise<T>, staleKnown = false): Promise<T> {
    try {
      const value = await read();
      this.#health.databaseReadable = true;
      return value;
    } catch (error) {
      this.#health.databaseReadable = false;
      this.#health.lastError = error instanceof Error ? error.message : String(error);
      this.#health.lastErrorAt = Date.now();
      // The cache answers with the value it still holds (within SETTINGS_STALE_MS).
      if (staleKnown) this.#health.staleServed++;
      throw error;
    }
  }

  async #write(
    collection: string,
    key: string,
    by: string,
    store: () => Promise<{ entry: SettingEntry | null; created: boolean }>,
  ): Promise<SettingEntry | null> {
    const { entry, created } = await store();
    const id = cacheKey(collection, key);
    this.#saw(id, entry?.version ?? null, true);
    if (entry === null) await this.#ns.delete(id);
    else await this.#ns.set(id, entry, this.#entry);
    // A new or deleted key changes the collection's key list.
    if (created) await this.#ns.delete(indexKey(collection));
    await this.#told(collection, key);
    const change: SettingChange = { collection, key, version: entry?.version ?? null, by };
    await this.#bus.publishSystem(REFRESH_CHANNEL, change).catch((error: unknown) => {
      this.#logger.warn({ err: error, collection, key }, 'settings refresh broadcast not sent');
    });
    return entry;
  }

  /** Publishes the write's invalidations and waits for every instance to confirm them (bounded). */
  async #told(collection: string, key: string): Promise<void> {
    if (this.config.writeWaitMs === 0) {
      await this.#cache.flushInvalidations();
      return;
    }
    const { receivers, answered } = await this.#cache.awaitInvalidations(this.config.writeWaitMs);
    if (answered < receivers) {
      this.#logger.warn(
        { collection, key, receivers, answered, waitedMs: this.config.writeWaitMs },
        'settings write: not every instance confirmed the invalidation in time',
      );
    }
  }

  async #subscribe(): Promise<void> {
    if (this.#unsubscribe !== undefined) return;
    this.#unsubscribe = this.#bus.subscribe<SettingChange>(REFRESH_CHANNEL, (change, message) =>
      this.#changed(change, message.self),
    );
    await this.#unsubscribe;
  }

  async #changed(change: SettingChange, self: boolean): Promise<void> {
    if (!self) {
      const id = cacheKey(change.collection, change.key);
      this.#saw(id, change.version);
      this.#ns.dropLocal(id);
      if (change.version === null || change.version === 1) this.#ns.dropLocal(indexKey(change.collection));
    }
    for (const handler of this.#handlers) {
      try {
        await handler(change);
      } catch (error) {
        this.#logger.warn({ err: error, ...change }, 'settings change handler failed');
      }
    }
  }
}

function cacheKey(collection: string, key: string): string {
  return `${collection}/${key}`;
}

function indexKey(collection: string): string {
  return `#keys/${collection}`;
}

function checkVersion(version: unknown): number | undefined {
  if (version === undefined) return undefined;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) {
    throw new SettingsError('SETTINGS_INVALID', 'ifVersion must be a whole number of at least 0');
  }
  return version;
}

const isKeyPosition = (position: unknown): position is { k: string } =>
  typeof position === 'object' && position !== null && typeof (position as { k?: unknown }).k === 'string';

function decodeKeyCursor(cursor: string): string {
  const position = decodeCursor(cursor, isKeyPosition);
  if (position === undefined) {
    throw new SettingsError('SETTINGS_INVALID', 'The cursor is not one this server gave out');
  }
  return position.k;
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\?]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}
