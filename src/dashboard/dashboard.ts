/**
 * `Dashboard`: what the admin page of one Plexus needs — this instance's history recorder, the
 * panel registry with the core's panels, and the data document. One per Plexus (`dashboardOf`),
 * started by the `dashboard` route group when the server is ready and stopped when it closes.
 */
import type { PlexusCore } from '../application/definition.js';
import { registerCorePanels } from './core-panels.js';
import { buildDocument, type DashboardDocument } from './document.js';
import { InstanceHistory, type KnownInstance, type Rows } from './history.js';
import { dashboardPanels, type PanelRegistry } from './panels.js';

export class Dashboard {
  readonly history: InstanceHistory;
  readonly panels: PanelRegistry;
  readonly #plexus: PlexusCore;
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
    this.panels = dashboardPanels(plexus);
    registerCorePanels(this.panels, plexus);
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.history.start();
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    await this.history.stop();
  }

  /** The data document, with each instance's points after `since` (epoch ms). */
  async document(since = 0, now = Date.now()): Promise<DashboardDocument> {
    const plexus = this.#plexus;
    const { dashboard } = plexus.config;
    const [listing, panels] = await Promise.all([plexus.instances.list(), this.panels.read(now)]);
    let source = listing.source;
    let known: KnownInstance[] = [];
    let history: Map<string, Rows>;
    try {
      if (source !== 'cluster') throw new Error('local');
      known = await this.history.known(now);
      const ids = new Set(listing.instances.map((l) => l.report.id));
      for (const k of known) if (now - k.lastSeen <= dashboard.deadShownMs) ids.add(k.id);
      history = await this.history.read([...ids], since);
    } catch {
      // Redis out of reach (now, or between the two reads): this instance only, from memory.
      source = 'local';
      known = [];
      history = new Map([[plexus.instanceId, this.history.local(since)]]);
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
      history,
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
