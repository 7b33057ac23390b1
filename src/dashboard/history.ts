/**
 * `InstanceHistory`: every instance records its own figures every DASHBOARD_HISTORY_STEP_MS, and
 * any instance reads everybody's for the dashboard.
 *
 * Protocol. A point (point.ts) goes to `<prefix>:health:history:<id>` by dashboard_history_add,
 * which drops the points older than DASHBOARD_HISTORY_WINDOW and beyond window/step, and makes the
 * key expire one window after its last write. In the same step the instance writes its entry in
 * the hash `<prefix>:health:known` (server, pid, version, start, last write, graceful stop), so a
 * reader learns of instances that died without reading keys it does not know; readers drop
 * entries older than the window. Every point is also kept in process (a ring of the same bound),
 * which is the history shown while Redis is out of reach; those points are not copied to Redis
 * afterwards.
 */
import type { Logger } from '../logger.js';
import { clusterReachable, type LayerView } from '../redis/view.js';
import { decodePoint, encodePoint, type Sources, type Totals, takePoint } from './point.js';
import { dashboardHistoryAdd } from './scripts.js';

export interface HistoryOptions {
  instanceId: string;
  serverName: string;
  version: string;
  pid: number;
  startedAt: number;
  windowMs: number;
  stepMs: number;
  logger: Logger;
  /** Read at every step. */
  sources: () => Sources;
}

/** An instance that wrote history within the window, as the `known` hash keeps it. */
export interface KnownInstance {
  id: string;
  serverName: string;
  pid: number;
  version: string;
  startedAt: number;
  /** Epoch ms of its last point. */
  lastSeen: number;
  /** True when it shut down gracefully (it is then `stopped`, not `dead`). */
  stopped: boolean;
}

/** Points as rows of numbers, in the order of POINT_FIELDS, oldest first. */
import type { Rows } from './shapes.js';

export type { Rows };

export class InstanceHistory {
  readonly maxPoints: number;
  readonly #layer: LayerView;
  readonly #o: HistoryOptions;
  readonly #ring: number[][] = [];
  #totals: Totals | undefined;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(layer: LayerView, options: HistoryOptions) {
    this.#layer = layer;
    this.#o = options;
    this.maxPoints = Math.max(1, Math.floor(options.windowMs / options.stepMs));
  }

  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.record(), this.#o.stepMs);
    this.#timer.unref();
    void this.record();
  }

  /** Stops recording; the `known` entry says the instance stopped rather than died. */
  async stop(): Promise<void> {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#writing;
    if (clusterReachable(this.#layer)) await this.#writeKnown(Date.now(), true).catch(() => {});
  }

  /** Takes one point now: kept in process, and written to Redis when it is reachable. */
  record(now = Date.now()): Promise<void> {
    const [point, totals] = takePoint(now, this.#o.sources(), this.#totals);
    this.#totals = totals;
    const row = JSON.parse(encodePoint(point)) as number[];
    this.#ring.push(row);
    if (this.#ring.length > this.maxPoints) this.#ring.splice(0, this.#ring.length - this.maxPoints);
    if (!clusterReachable(this.#layer)) return Promise.resolve();
    const keys = this.#layer.keys.dashboard;
    this.#writing = Promise.all([
      this.#layer.store.runScript(
        dashboardHistoryAdd,
        [keys.history(this.#o.instanceId)],
        [now, encodePoint(point), this.#o.windowMs, this.maxPoints],
      ),
      this.#writeKnown(now, false),
    ]).then(
      () => {},
      (error: unknown) => this.#o.logger.debug({ err: error }, 'dashboard history point not written'),
    );
    return this.#writing;
  }

  /** This instance's points after `since` (epoch ms), from process memory. */
  local(since = 0): Rows {
    return this.#ring.filter((row) => row[0]! > since);
  }

  /**
   * The points after `since` (epoch ms; or per instance) of each instance, from Redis (throws when
   * Redis is out of reach).
   */
  async read(
    ids: readonly string[],
    since: number | ((id: string) => number) = 0,
  ): Promise<Map<string, Rows>> {
    const keys = this.#layer.keys.dashboard;
    const store = this.#layer.store;
    const after = typeof since === 'number' ? () => since : since;
    const replies = await Promise.all(
      ids.map((id) => {
        const from = after(id);
        // Scores are integral epoch ms: "after" is from + 1 (-inf + 1 is still -inf).
        return store.zRangeByScore(keys.history(id), from + 1, Number.POSITIVE_INFINITY);
      }),
    );
    const result = new Map<string, Rows>();
    replies.forEach((members, i) => {
      const rows: Rows = [];
      for (const member of members) {
        const row = decodePoint(member);
        if (row !== null) rows.push(row);
      }
      result.set(ids[i]!, rows);
    });
    return result;
  }

  /** Every instance that wrote history within the window (throws when Redis is out of reach). */
  async known(now = Date.now()): Promise<KnownInstance[]> {
    const key = this.#layer.keys.dashboard.known();
    const all = await this.#layer.store.hGetAll(key);
    const known: KnownInstance[] = [];
    const expired: string[] = [];
    for (const [id, json] of Object.entries(all)) {
      const entry = parseKnown(id, json);
      if (entry === null || now - entry.lastSeen > this.#o.windowMs) expired.push(id);
      else known.push(entry);
    }
    if (expired.length > 0) await this.#layer.store.hDel(key, expired);
    return known;
  }

  #writeKnown(now: number, stopped: boolean): Promise<unknown> {
    const o = this.#o;
    const key = this.#layer.keys.dashboard.known();
    const entry = [o.serverName, o.pid, o.version, o.startedAt, now, stopped ? 1 : 0];
    return Promise.all([
      this.#layer.store.hSet(key, { [o.instanceId]: JSON.stringify(entry) }),
      this.#layer.store.pExpire(key, o.windowMs),
    ]);
  }
}

function parseKnown(id: string, json: string): KnownInstance | null {
  try {
    const [serverName, pid, version, startedAt, lastSeen, stopped] = JSON.parse(json) as unknown[];
    if (typeof serverName !== 'string' || typeof lastSeen !== 'number') return null;
    return {
      id,
      serverName,
      pid: Number(pid),
      version: String(version),
      startedAt: Number(startedAt),
      lastSeen,
      stopped: stopped === 1,
    };
  } catch {
    return null;
  }
}
