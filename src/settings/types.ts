/** Public types of the configuration values. */

/** A JSON value as stored. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** One stored configuration value with its bookkeeping. */
export interface SettingEntry<T extends JsonValue = JsonValue> {
  readonly collection: string;
  readonly key: string;
  readonly value: T;
  /** 1 for the first write, +1 for each one after. */
  readonly version: number;
  /** Epoch milliseconds. */
  readonly updatedAt: number;
  readonly updatedBy: string;
}

export interface WriteOptions {
  /**
   * Compare-and-set: the version the caller read. The write fails with SETTINGS_VERSION_CONFLICT
   * unless it is still current; 0 means "must not exist yet". Omitted: last writer wins.
   */
  ifVersion?: number;
  /** Who writes (an account id, `cli:<user>`, `admin-token`). @default 'system' */
  by?: string;
}

/** A change, as refresh handlers and the bus see it. */
export interface SettingChange {
  collection: string;
  key: string;
  /** The new version, or null when the value was deleted. */
  version: number | null;
  by: string;
}

/** Where the last read of the database stands (health). */
export interface SettingsHealth {
  /** False while the last database read failed: values served may be stale (stale-if-error). */
  databaseReadable: boolean;
  /** Reads answered with a stale value because the database failed, since start. */
  staleServed: number;
  lastError: string | null;
  lastErrorAt: number | null;
}
