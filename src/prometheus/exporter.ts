/**
 * `PrometheusExporter`: this instance's figures (prom-client's default process and Node metrics,
 * the modules' collectors, the route histograms) and the cluster-wide exposition.
 *
 * Cluster protocol. prom-client's AggregatorRegistry only reaches the workers of one `cluster`
 * primary; this works for PM2, many servers and pods. Every METRICS_PUBLISH_INTERVAL_MS (and when
 * Redis becomes ready) each instance writes its families as JSON to
 * `<prefix>:{instances}:prometheus:<id>`, expiring after three intervals. The cluster read lists
 * the live instances from the registry (so a dead instance leaves the exposition with its report,
 * whatever its figures' expiry), MGETs their figures (one slot: `{instances}`) and labels each
 * instance's samples `instance="<id>"`; this instance's own are read fresh. Without
 * Redis it answers with this instance's figures only, and says so in a comment and in
 * `plexus_cluster_exposition_degraded`.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Plexus } from '../index.js';
import type { StateChange } from '../redis/layer.js';
import { clusterReachable } from '../redis/view.js';
import { registerCollectors } from './collectors.js';
import { type Family, fromPromClient, mergeLabelled, render } from './family.js';
import { RouteHistograms } from './http.js';

export const CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

interface Stored {
  v: 1;
  families: Family[];
}

export class PrometheusExporter {
  readonly #plexus: Plexus;
  readonly #registry = new Registry();
  readonly #routes: RouteHistograms;
  readonly #unobserve: () => void;
  #timer: NodeJS.Timeout | undefined;
  #publishing: Promise<void> | undefined;
  readonly #onState = (change: StateChange) => {
    if (change.state === 'ready') void this.publish();
  };

  constructor(plexus: Plexus) {
    this.#plexus = plexus;
    this.#routes = new RouteHistograms(plexus.config.instances.maxRoutesPerMinute);
    this.#unobserve = plexus.metrics.observeRequests(this.#routes.observe);
    collectDefaultMetrics({ register: this.#registry });
    registerCollectors(this.#registry, plexus);
  }

  async families(): Promise<Family[]> {
    const collected = fromPromClient(await this.#registry.getMetricsAsJSON());
    return [...collected, this.#routes.family()];
  }

  /** This instance's exposition. */
  async text(): Promise<string> {
    return render(await this.families());
  }

  /** Every live instance's figures, labelled `instance`; this instance's only without Redis. */
  async clusterText(): Promise<string> {
    const own = await this.families();
    const self = this.#plexus.instanceId;
    const stored = await this.#readCluster().catch(() => undefined);
    const sets = [{ label: { instance: self }, families: own }];
    for (const [id, families] of stored ?? [])
      if (id !== self) sets.push({ label: { instance: id }, families });
    const degraded = stored === undefined;
    const scrape: Family[] = [
      {
        name: 'plexus_cluster_exposition_instances',
        help: 'Instances whose figures this cluster-wide exposition holds.',
        type: 'gauge',
        values: [{ labels: {}, value: sets.length }],
      },
      {
        name: 'plexus_cluster_exposition_degraded',
        help: '1 when Redis could not be read and the exposition holds this instance only.',
        type: 'gauge',
        values: [{ labels: {}, value: degraded ? 1 : 0 }],
      },
    ];
    const comments = degraded ? [`Redis unreachable: figures of instance ${self} only`] : [];
    return render([...scrape, ...mergeLabelled(sets)], comments);
  }

  /** Publishes now, every METRICS_PUBLISH_INTERVAL_MS and when Redis becomes ready, until `stop()`. */
  start(): void {
    if (this.#timer !== undefined) return;
    void this.publish();
    this.#timer = setInterval(() => void this.publish(), this.#plexus.config.prometheus.publishIntervalMs);
    this.#timer.unref();
    this.#plexus.redis.on('state', this.#onState);
  }

  /** Writes this instance's figures for the cluster exposition (concurrent calls share one write). */
  publish(): Promise<void> {
    this.#publishing ??= this.#publishOnce().finally(() => {
      this.#publishing = undefined;
    });
    return this.#publishing;
  }

  /** Stops publishing and removes this instance's figures. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#plexus.redis.off('state', this.#onState);
    this.#unobserve();
    await this.#publishing;
    const { redis, instanceId } = this.#plexus;
    if (clusterReachable(redis))
      await redis.store.del([redis.keys.instances.exposition(instanceId)]).catch(() => 0);
  }

  async #publishOnce(): Promise<void> {
    const { redis, instanceId, config, logger } = this.#plexus;
    if (!clusterReachable(redis)) return;
    try {
      const stored: Stored = { v: 1, families: await this.families() };
      await redis.store.set(redis.keys.instances.exposition(instanceId), JSON.stringify(stored), {
        px: 3 * config.prometheus.publishIntervalMs,
      });
    } catch (error) {
      logger.debug({ err: error }, 'Prometheus figures not published');
    }
  }

  /** The other live instances' stored figures, by instance id; throws when Redis cannot be read. */
  async #readCluster(): Promise<Map<string, Family[]>> {
    const { redis, instances, logger } = this.#plexus;
    const listing = await instances.list();
    if (listing.source === 'local') throw new Error('instance registry unavailable');
    const ids = listing.instances.map((i) => i.report.id);
    const raw =
      ids.length === 0 ? [] : await redis.store.mGet(ids.map((id) => redis.keys.instances.exposition(id)));
    const found = new Map<string, Family[]>();
    raw.forEach((json, i) => {
      if (json === null) return; // Not serving the exposition, or expired since the listing.
      try {
        const stored = JSON.parse(json) as Stored;
        if (stored.v === 1) found.set(ids[i]!, stored.families);
      } catch {
        logger.warn({ id: ids[i] }, 'unreadable Prometheus figures ignored');
      }
    });
    return found;
  }
}
