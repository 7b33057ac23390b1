/**
 * `Dashboard`: what the admin page of one Plexus needs — this instance's history recorder, the
 * panel registry with the core's panels, the data document and its live push. One per Plexus (`dashboardOf`),
 * started by the `dashboard` route group when the server is ready and stopped when it closes.
 */
import type { PlexusCore } from '../application/definition.js';
import { BucketSet, bucketMsFor } from './buckets.js';
import { registerCorePanels } from './core-panels.js';
import { buildDocument, type DashboardDocument } from './document.js';
import { InstanceHistory, type KnownInstance } from './history.js';
import { LivePush } from './live.js';
import { dashboardPanels, type PanelRegistry } from './panels.js';

export class Dashboard {
  readonly history: InstanceHistory;
  readonly panels: PanelRegistry;
  /** Pushes the document to the pages connected to this instance (endpoint `plexus-admin`). */
  readonly live: LivePush;
  /** Width of the plots' buckets (window / PLOT_BUCKETS, at least one step). */
  readonly bucketMs: number;
  readonly #plexus: PlexusCore;
  /**
   * Every shown instance's history as read from Redis so far, in buckets: a read fetches only the
   * points after the last one it has (the first read of a process fetches the window).
   */
  readonly #read = new Map<string, BucketSet>();
  #started = false;

  constructor(plexus: PlexusCore) {
    this.#plexus = plexus;
    const { dashboard } = plexus.config;
    const registry = plexus.instances;
    this.history = new InstanceHistory(plexus.redis, {
      instanceId: plexus.instanceId,
      serverName: registry.serverName,
      version: registry.current().version,
      pid: process.pid,
      startedAt: registry.startedAt,
      windowMs: dashboard.historyWindowMs,
      stepMs: dashboard.historyStepMs,
      logger: plexus.logger,
      sources: () => {
        const cache = plexus.cache.localStats().totals;
        const hits = cache.l1Hits + cache.l2Hits;
        return {
          report: registry.current(),
          redis: plexus.redis.stats(),
          cache: { hits, lookups: hits + cache.misses },
        };
      },
    });
    this.bucketMs = bucketMsFor(dashboard.historyWindowMs, dashboard.historyStepMs);
    this.panels = dashboardPanels(plexus);
    registerCorePanels(this.panels, plexus);
    this.live = new LivePush(plexus, this);
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.history.start();
    this.live.start();
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.live.stop();
    await this.history.stop();
  }

  /** Forgets the history read so far (the next read fetches the whole window; for benchmarks). */
  forgetReadHistory(): void {
    this.#read.clear();
  }

  /** The data document, with the plots' buckets that start at or after `since` (epoch ms). */
  async document(since = 0, now = Date.now()): Promise<DashboardDocument> {
    const plexus = this.#plexus;
    const { dashboard } = plexus.config;
    const [listing, panels] = await Promise.all([plexus.instances.list(), this.panels.read(now)]);
    let source = listing.source;
    let known: KnownInstance[] = [];
    let buckets: Map<string, BucketSet>;
    const from = now - dashboard.historyWindowMs;
    try {
      if (source !== 'cluster') throw new Error('local');
      known = await this.history.known(now);
      const ids = new Set(listing.instances.map((l) => l.report.id));
      for (const k of known) if (now - k.lastSeen <= dashboard.deadShownMs) ids.add(k.id);
      const fresh = await this.history.read([...ids], (id) =>
        Math.max(from, this.#read.get(id)?.last ?? Number.NEGATIVE_INFINITY),
      );
      for (const id of this.#read.keys()) if (!ids.has(id)) this.#read.delete(id);
      for (const [id, rows] of fresh) {
        let set = this.#read.get(id);
        if (set === undefined) {
          set = new BucketSet(this.bucketMs);
          this.#read.set(id, set);
        }
        set.add(rows);
        set.drop(from - (from % this.bucketMs));
      }
      buckets = this.#read;
    } catch {
      // Redis out of reach (now, or between the two reads): this instance only, from memory.
      source = 'local';
      known = [];
      const set = new BucketSet(this.bucketMs);
      set.add(this.history.local(from));
      buckets = new Map([[plexus.instanceId, set]]);
    }
    const listed =
      source === 'cluster'
        ? listing.instances
        : listing.instances.filter((l) => l.report.id === plexus.instanceId);
    return buildDocument({
      source,
      answeredBy: plexus.instanceId,
      redisState: plexus.redis.state,
      windowMs: dashboard.historyWindowMs,
      stepMs: dashboard.historyStepMs,
      deadShownMs: dashboard.deadShownMs,
      now,
      listed: listed.length > 0 ? listed : [{ report: plexus.instances.current(), ageMs: 0 }],
      known,
      buckets,
      bucketMs: this.bucketMs,
      // From the bucket `since` falls in: the page asks with bucket starts anyway.
      since: since - (since % this.bucketMs),
      panels,
    });
  }
}

const dashboards = new WeakMap<object, Dashboard>();

/** The dashboard of this Plexus, created on first use. */
export function dashboardOf(plexus: PlexusCore): Dashboard {
  let dashboard = dashboards.get(plexus.instances);
  if (dashboard === undefined) {
    dashboard = new Dashboard(plexus);
    dashboards.set(plexus.instances, dashboard);
  }
  return dashboard;
}
