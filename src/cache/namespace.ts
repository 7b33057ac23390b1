/**
 * `CacheNamespace`: the cache API bound to one namespace. Namespaces isolate keys and tags, and
 * each has its own `clear()`; `namespace('child')` nests (`parent/child`), and clearing a parent
 * clears its children. Every method validates all of its arguments first (validate.ts).
 */
import type { CacheConfig } from '../config/cache.js';
import type { CacheEngine } from './engine.js';
import { CacheClosedError } from './errors.js';
import type { EntryOptions, GetOrSetOptions, Loader, WarmOptions, WarmReport } from './types.js';
import {
  checkFunction,
  checkKey,
  checkName,
  checkTags,
  type EntryPolicy,
  invalid,
  parseDuration,
  resolvePolicy,
} from './validate.js';
import { runWarm } from './warm.js';

/** What every namespace of one cache shares. */
export interface CacheCore {
  readonly engine: CacheEngine;
  readonly config: CacheConfig;
  readonly closed: boolean;
}

const WARM_OPTIONS = new Set([
  'concurrency',
  'onProgress',
  'progressIntervalMs',
  'total',
  'refresh',
  'signal',
]);
const ENTRY_OPTIONS = new Set(['ttl', 'l1Ttl', 'grace', 'tags']);
const DEFAULT_PROGRESS_INTERVAL_MS = 200;

export class CacheNamespace {
  readonly #defaults: EntryPolicy;

  constructor(
    protected readonly core: CacheCore,
    /** The namespace path, e.g. `qr/students`. */
    readonly name: string,
  ) {
    this.#defaults = resolvePolicy(undefined, core.config);
  }

  /** A child namespace, `<this>/<name>`. */
  namespace(name: string): CacheNamespace {
    checkName(name);
    return new CacheNamespace(this.core, `${this.name}/${name}`);
  }

  /**
   * The value when this instance can serve it without any I/O (its in-process copy is fresh and
   * trusted), else undefined: then ask `get` or `getOrSet`. Hot routes answer synchronously with it.
   */
  peek<T = unknown>(key: string): T | undefined {
    this.#open();
    checkKey(key);
    return this.core.engine.peek(this.name, key) as T | undefined;
  }

  /**
   * `peek(key)` as a function kept for one key that is asked again and again: the same answer,
   * without building the key each time (see CacheEngine.peeker). Checks `key` once.
   */
  peeker<T = unknown>(key: string): () => T | undefined {
    this.#open();
    checkKey(key);
    return this.core.engine.peeker(this.name, key) as () => T | undefined;
  }

  /** The fresh value, or undefined. Never calls a loader. */
  get<T = unknown>(key: string): Promise<T | undefined> {
    this.#open();
    checkKey(key);
    return this.core.engine.get(this.name, key, this.#defaults) as Promise<T | undefined>;
  }

  /** The cached value, or the loader's (stored for the next callers). See GetOrSetOptions. */
  getOrSet<T>(key: string, loader: Loader<T>, options?: GetOrSetOptions): Promise<T> {
    this.#open();
    checkKey(key);
    checkFunction(loader, 'loader');
    const policy = options === undefined ? this.#defaults : resolvePolicy(options, this.core.config);
    return this.core.engine.getOrSet(this.name, key, loader as Loader<unknown>, policy) as Promise<T>;
  }

  /** Stores a value in both tiers and removes older copies from every instance's L1. */
  async set(key: string, value: unknown, options?: EntryOptions): Promise<void> {
    this.#open();
    checkKey(key);
    const policy = options === undefined ? this.#defaults : resolvePolicy(options, this.core.config, false);
    await this.core.engine.writer.set(this.name, key, value, policy);
  }

  /** Removes a key from both tiers and every instance's L1; true if it was cached. */
  delete(key: string): Promise<boolean> {
    this.#open();
    checkKey(key);
    return this.core.engine.writer.delete(this.name, key);
  }

  /**
   * Forgets this instance's in-process copy of `key`, telling no one: for a module that learned of
   * a change by another route (a bus message) before the invalidation arrived.
   */
  dropLocal(key: string): void {
    this.#open();
    checkKey(key);
    this.core.engine.writer.applyRemote([{ n: this.name, k: [key] }]);
  }

  /** Removes every entry of this namespace carrying any of the tags; resolves to how many. */
  deleteByTag(tags: string | readonly string[]): Promise<number> {
    this.#open();
    const list = checkTags(tags);
    return this.core.engine.writer.deleteByTag(this.name, list);
  }

  /** Removes every entry of this namespace and its children, on every instance; resolves to how many. */
  clear(): Promise<number> {
    this.#open();
    return this.core.engine.writer.clear(this.name);
  }

  /**
   * Loads every key of `source` that is not cached yet (all of them with `refresh`), `concurrency`
   * at a time, reporting progress. Values go to L2 only, so warming does not evict this
   * process's hot L1 entries.
   */
  async warm<T>(
    source: Iterable<string> | AsyncIterable<string>,
    loader: (key: string) => T | Promise<T>,
    options: WarmOptions = {},
  ): Promise<WarmReport> {
    this.#open();
    if (
      source === null ||
      typeof source !== 'object' ||
      !(Symbol.iterator in source || Symbol.asyncIterator in source)
    ) {
      invalid('source', 'expected an iterable or async iterable of keys');
    }
    checkFunction(loader, 'loader');
    for (const name in options) {
      if (!WARM_OPTIONS.has(name) && !ENTRY_OPTIONS.has(name)) invalid(`options.${name}`, 'unknown option');
    }
    const { concurrency, onProgress, progressIntervalMs, total, refresh, signal, ...entry } = options;
    const policy = resolvePolicy(entry, this.core.config, false);
    if (onProgress !== undefined) checkFunction(onProgress, 'options.onProgress');
    const engine = this.core.engine;
    const warmOne = async (key: string): Promise<boolean> => {
      checkKey(key);
      if (refresh === true) {
        await engine.reload(this.name, key, () => loader(key), policy);
        return true;
      }
      let loaded = false;
      const load = () => {
        loaded = true;
        return loader(key);
      };
      await engine.getOrSet(this.name, key, load, policy, false);
      return loaded;
    };
    return runWarm(source, warmOne, {
      concurrency: positiveInteger(concurrency, 'options.concurrency') ?? this.core.config.warmConcurrency,
      onProgress,
      progressIntervalMs:
        progressIntervalMs === undefined
          ? DEFAULT_PROGRESS_INTERVAL_MS
          : parseDuration(progressIntervalMs, 'options.progressIntervalMs', { zero: true, infinite: true }),
      total: positiveInteger(total, 'options.total', true),
      signal,
    });
  }

  #open(): void {
    if (this.core.closed) throw new CacheClosedError();
  }
}

function positiveInteger(value: unknown, argument: string, zero = false): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < (zero ? 0 : 1)) {
    invalid(argument, `expected a whole number of at least ${zero ? 0 : 1}`);
  }
  return value;
}
