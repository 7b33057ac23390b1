/**
 * `ActiveSession`: one request's view of its session. Reads come from the copy loaded at the start
 * of the request; `set`/`unset` record changes, which the adapter writes when the response is sent
 * — only the fields this request changed (per-field merge, see session_save.lua).
 */
import type { SessionRecord, SessionUser } from './record.js';
import type { SessionChanges } from './session-store.js';

export class ActiveSession {
  readonly #record: SessionRecord;
  /** This request's changes; made on the first one (most requests change nothing). */
  #set: Map<string, unknown> | undefined;
  #unset: Set<string> | undefined;

  constructor(record: SessionRecord) {
    this.#record = record;
  }

  get id(): string {
    return this.#record.id;
  }

  get user(): SessionUser | null {
    return this.#record.user;
  }

  get createdAt(): number {
    return this.#record.createdAt;
  }

  get lastSeenAt(): number {
    return this.#record.lastSeenAt;
  }

  get expiresAt(): number {
    return this.#record.expiresAt;
  }

  /** The record as loaded (without this request's changes). */
  get record(): Readonly<SessionRecord> {
    return this.#record;
  }

  get<T = unknown>(name: string): T | undefined {
    if (this.#unset?.has(name)) return undefined;
    if (this.#set?.has(name)) return this.#set.get(name) as T;
    return this.#record.data[name] as T | undefined;
  }

  /** Stores a JSON-serialisable value under a top-level name. */
  set(name: string, value: unknown): void {
    if (value === undefined) {
      this.unset(name);
      return;
    }
    this.#unset?.delete(name);
    this.#set ??= new Map();
    this.#set.set(name, value);
  }

  unset(name: string): void {
    this.#set?.delete(name);
    this.#unset ??= new Set();
    this.#unset.add(name);
  }

  /** Every field, this request's changes applied. */
  data(): Record<string, unknown> {
    const data = { ...this.#record.data, ...Object.fromEntries(this.#set ?? []) };
    for (const name of this.#unset ?? []) delete data[name];
    return data;
  }

  get changed(): boolean {
    return (this.#set?.size ?? 0) > 0 || (this.#unset?.size ?? 0) > 0;
  }

  /** What to save, or null when nothing changed. */
  takeChanges(): SessionChanges | null {
    if (!this.changed) return null;
    const changes = { set: Object.fromEntries(this.#set ?? []), unset: [...(this.#unset ?? [])] };
    this.#record.data = this.data();
    this.#set = undefined;
    this.#unset = undefined;
    return changes;
  }
}
