/**
 * `Flags`: feature flags stored as configuration values (collection `features`, one key per flag,
 * the definition as JSON — seed 004's `config:features:feature:{name}`), so they travel the
 * same tiers and invalidations as every value (src/settings/), and are evaluated in process.
 *
 * `evaluateNow` answers from this process's trusted copy without I/O. Each flag name asked for
 * holds a reader of its in-process copy (`settings.peeker`: the cache's L1 entry object, checked
 * as `peek` checks it — trusted, fresh, within the 60 s TTL, not invalidated — without building
 * the cache key) and the compiled form of the entry it last returned, so an evaluation is one Map
 * lookup by name, those checks and the compiled rules: no allocation. A changed value is a new
 * entry object, compiled once (a WeakMap by entry, shared with `evaluate`).
 * `evaluate` falls back to a read through the tiers. Every change goes through `put`/`remove`,
 * which check the definition first (nothing is stored when it is refused) and write the audit row
 * in the same transaction.
 */
import type { Database } from '../db/database.js';
import type { SettingsError } from '../settings/errors.js';
import type { WriteHook } from '../settings/repository.js';
import type { Settings } from '../settings/settings.js';
import type { JsonValue, SettingEntry } from '../settings/types.js';
import { type AuditEntry, type AuditPage, FlagAudit, MAX_AUDIT_PAGE } from './audit.js';
import { checkFlagName, type FlagDefinition, parseFlagDefinition } from './definition.js';
import { FlagError } from './errors.js';
import { CompiledFlag, type FlagContext, type FlagResult, notFound } from './evaluate.js';

export const FLAGS_COLLECTION = 'features';
/** Most flag names `evaluateNow` keeps a reader for. */
const MAX_HELD = 10_000;

/** A flag name's reader of its in-process copy and the compiled form of the entry last read. */
interface Held {
  read: () => SettingEntry | null | undefined;
  entry: SettingEntry | undefined;
  compiled: CompiledFlag | undefined;
}

export interface FlagRecord {
  name: string;
  definition: FlagDefinition;
  version: number;
  updatedAt: number;
  updatedBy: string;
}

export interface FlagWriteOptions {
  /** Compare-and-set on the flag's version (0: must not exist). */
  ifVersion?: number;
  /** Who changes it, for the audit trail. @default 'system' */
  by?: string;
}

export class Flags {
  readonly #settings: Settings;
  readonly #audit: FlagAudit;
  readonly #compiled = new WeakMap<SettingEntry, CompiledFlag>();
  readonly #missing = new Map<string, FlagResult>();
  readonly #held = new Map<string, Held>();

  constructor(settings: Settings, db: Database) {
    this.#settings = settings;
    this.#audit = new FlagAudit(db);
  }

  /**
   * The answer from this process's memory, or undefined when the flag is not held here right now
   * (then `evaluate`). Allocation-free when held. Does not validate `name`.
   */
  evaluateNow(name: string, context: FlagContext): FlagResult | undefined {
    let held = this.#held.get(name);
    if (held === undefined) {
      // Names come from callers; a flood of made-up ones must not grow this without bound.
      if (this.#held.size >= MAX_HELD) this.#held.clear();
      held = { read: this.#settings.peeker(FLAGS_COLLECTION, name), entry: undefined, compiled: undefined };
      this.#held.set(name, held);
    }
    const entry = held.read();
    if (entry === undefined) return undefined;
    if (entry === null) return this.#notFound(name);
    if (entry !== held.entry) {
      held.compiled = this.#compile(entry);
      held.entry = entry;
    }
    return held.compiled!.evaluate(context);
  }

  /** The answer, reading through the tiers when needed; an unknown flag answers reason ERROR. */
  async evaluate(name: string, context: FlagContext): Promise<FlagResult> {
    checkFlagName(name);
    const now = this.evaluateNow(name, context);
    if (now !== undefined) return now;
    const entry = await this.#settings.get(FLAGS_COLLECTION, name);
    return entry === null ? this.#notFound(name) : this.#compile(entry).evaluate(context);
  }

  /** Every flag evaluated for one user, by name. */
  async evaluateAll(context: FlagContext): Promise<FlagResult[]> {
    const names = await this.#settings.keys(FLAGS_COLLECTION);
    const results = await Promise.all(names.map((name) => this.evaluate(name, context)));
    return results.filter((r) => r.errorCode === undefined);
  }

  async get(name: string): Promise<FlagRecord | null> {
    checkFlagName(name);
    const entry = await this.#settings.get(FLAGS_COLLECTION, name);
    return entry === null ? null : this.#compile(entry) && toRecord(entry);
  }

  async list(): Promise<FlagRecord[]> {
    const names = await this.#settings.keys(FLAGS_COLLECTION);
    const entries = await Promise.all(names.map((name) => this.#settings.get(FLAGS_COLLECTION, name)));
    return entries.filter((e): e is SettingEntry => e !== null).map(toRecord);
  }

  /** Creates or replaces a flag; throws FLAG_INVALID_*, SETTINGS_VERSION_CONFLICT, SETTINGS_UNAVAILABLE. */
  async put(name: string, definition: unknown, options: FlagWriteOptions = {}): Promise<FlagRecord> {
    checkFlagName(name);
    const flag = parseFlagDefinition(definition);
    const by = options.by ?? 'system';
    const entry = await this.#settings.set(
      FLAGS_COLLECTION,
      name,
      flag as unknown as JsonValue,
      { ...options, by },
      this.#auditHook(name, by),
    );
    return toRecord(entry);
  }

  /** Changes part of a flag (read, merge, compare-and-set). */
  async update(
    name: string,
    change: (current: FlagDefinition) => FlagDefinition,
    options: Omit<FlagWriteOptions, 'ifVersion'> = {},
  ): Promise<FlagRecord> {
    const current = await this.get(name);
    if (current === null) throw new FlagError('FLAG_NOT_FOUND', `No flag named ${name}`);
    return this.put(name, change(current.definition), { ...options, ifVersion: current.version });
  }

  async remove(name: string, options: FlagWriteOptions = {}): Promise<FlagRecord> {
    checkFlagName(name);
    const by = options.by ?? 'system';
    try {
      const entry = await this.#settings.delete(
        FLAGS_COLLECTION,
        name,
        { ...options, by },
        this.#auditHook(name, by),
      );
      return toRecord(entry);
    } catch (error) {
      if ((error as SettingsError).code === 'SETTINGS_NOT_FOUND') {
        throw new FlagError('FLAG_NOT_FOUND', `No flag named ${name}`);
      }
      throw error;
    }
  }

  /** The flag's changes, newest first. */
  async audit(name: string, options: { cursor?: string; limit?: number } = {}): Promise<AuditPage> {
    checkFlagName(name);
    const limit = options.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_AUDIT_PAGE) {
      throw new FlagError('FLAG_INVALID_RULE', `limit must be a whole number from 1 to ${MAX_AUDIT_PAGE}`);
    }
    return this.#audit.page(name, options.cursor, limit);
  }

  #auditHook(name: string, by: string): WriteHook {
    return (trx, before, after) => {
      const entry: AuditEntry = {
        flag: name,
        at: Date.now(),
        actor: by,
        action: before === null ? 'create' : after === null ? 'delete' : 'update',
        before: before === null ? null : { version: before.version, definition: before.value },
        after: after === null ? null : { version: after.version, definition: after.value },
      };
      return this.#audit.record(trx, entry);
    };
  }

  #compile(entry: SettingEntry): CompiledFlag {
    let compiled = this.#compiled.get(entry);
    if (compiled === undefined) {
      compiled = new CompiledFlag(entry.key, entry.version, entry.value as unknown as FlagDefinition);
      this.#compiled.set(entry, compiled);
    }
    return compiled;
  }

  #notFound(name: string): FlagResult {
    let result = this.#missing.get(name);
    if (result === undefined) {
      if (this.#missing.size > 1000) this.#missing.clear();
      result = notFound(name);
      this.#missing.set(name, result);
    }
    return result;
  }
}

function toRecord(entry: SettingEntry): FlagRecord {
  return {
    name: entry.key,
    definition: entry.value as unknown as FlagDefinition,
    version: entry.version,
    updatedAt: entry.updatedAt,
    updatedBy: entry.updatedBy,
  };
}
