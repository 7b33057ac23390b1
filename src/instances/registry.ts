/**
 * `InstanceRegistry`: every instance announces itself and reads the others'.
 *
 * Protocol. Every REPORT_INTERVAL an instance writes its report (report.ts) to
 * `<prefix>:{instances}:report:<id>` with a TTL and indexes it in the sorted set
 * `<prefix>:{instances}:index`, scored by the report's expiry in Redis time (instances_report);
 * in the same beat it flushes its metrics (metrics.ts). Readers never use KEYS or SCAN: they prune
 * and read the index (instances_list), then MGET the reports, which share the `{instances}` hash
 * tag and so one Cluster slot. An instance that dies stops reporting and vanishes when its TTL
 * runs out; one that misses two reports is shown `stale` until then; a graceful `stop()` deletes
 * its report and index entry at once.
 *
 * Without Redis the registry answers with this instance's own report, `singleInstance: true`,
 * and reports again as soon as the layer is ready.
 */
import { hostname } from 'node:os';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/index.js';
import { anyFailure, withFallback } from '../redis/fallback.js';
import { clusterReachable, type LayerView } from '../redis/view.js';
import { buildDocument, type ListedInstance, type MetricsDocument, type ServerGroup } from './aggregate.js';
import {
  type BusFigures,
  type InstanceReport,
  type ReportedStatus,
  serverIdOf,
  type WebSocketFigures,
} from './report.js';
import { ProcessSampler } from './sampler.js';
import { instancesList, instancesReport } from './scripts.js';

export interface InstanceRegistryOptions {
  instanceId: string;
  serverName?: string;
  version: string;
  reportIntervalMs: number;
  ttlMs: number;
  metrics: Metrics;
  logger: Logger;
}

export interface Listing {
  source: 'cluster' | 'local';
  /** Store time (Redis clock) of the read, epoch ms. */
  now: number;
  instances: ListedInstance[];
}

export interface ServersDocument {
  timestamp: string;
  source: 'cluster' | 'local';
  singleInstance: boolean;
  totalServers: number;
  servers: ServerGroup[];
}

const NO_WEBSOCKETS: WebSocketFigures = { connections: 0, messages: 0, namespaces: [] };

export class InstanceRegistry {
  readonly instanceId: string;
  readonly serverName: string;
  /** When this process started (epoch ms). */
  readonly startedAt = Math.round(performance.timeOrigin);
  readonly #layer: LayerView;
  readonly #o: InstanceRegistryOptions;
  readonly #sampler = new ProcessSampler();
  #status: ReportedStatus = 'running';
  #statusReason: string | null = null;
  #websocket: () => WebSocketFigures = () => NO_WEBSOCKETS;
  #bus: (() => BusFigures) | undefined;
  #last: InstanceReport | undefined;
  #timer: NodeJS.Timeout | undefined;
  #beat: Promise<void> | undefined;
  #started = false;
  readonly #onState = () => {
    if (this.#started && clusterReachable(this.#layer)) void this.beat();
  };

  constructor(layer: LayerView, options: InstanceRegistryOptions) {
    this.#layer = layer;
    this.#o = options;
    this.instanceId = options.instanceId;
    this.serverName = options.serverName ?? hostname();
  }

  /** Reports now and then every interval. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#status = this.#status === 'stopping' ? 'running' : this.#status;
    this.#layer.on('state', this.#onState);
    void this.beat();
    this.#timer = setInterval(() => void this.beat(), this.#o.reportIntervalMs);
    this.#timer.unref();
  }

  /** Graceful shutdown: flushes metrics, removes this instance from the registry at once. */
  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.#status = 'stopping';
    clearInterval(this.#timer);
    this.#layer.off('state', this.#onState);
    await this.#beat;
    await this.#o.metrics.flush().catch(() => {});
    if (clusterReachable(this.#layer)) {
      const keys = this.#layer.keys.instances;
      await Promise.all([
        this.#layer.store.del([keys.report(this.instanceId)]),
        this.#layer.store.zRem(keys.index(), [this.instanceId]),
      ]).catch((error: unknown) =>
        this.#o.logger.warn({ err: error }, 'instance report not removed; it expires with its TTL'),
      );
    }
    this.#sampler.close();
  }

  /** `errored` shows this instance as errored in /api/1/metrics until set back to `running`. */
  setStatus(status: 'running' | 'errored', reason?: string): void {
    this.#status = status;
    this.#statusReason = reason ?? null;
  }

  /** Where the report's WebSocket figures come from (the realtime hub registers itself here). */
  provideWebSocket(source: () => WebSocketFigures): void {
    this.#websocket = source;
  }

  provideBus(source: () => BusFigures): void {
    this.#bus = source;
  }

  /** Builds and writes one report and flushes metrics (concurrent calls share one beat). */
  beat(): Promise<void> {
    this.#beat ??= this.#beatOnce().finally(() => {
      this.#beat = undefined;
    });
    return this.#beat;
  }

  /** This instance's latest report (built now if none was yet). */
  current(): InstanceReport {
    this.#last ??= this.#build();
    return this.#last;
  }

  list(): Promise<Listing> {
    return withFallback(
      this.#layer,
      () => this.#read(),
      (): Listing => {
        const report = { ...this.current(), redis: { state: this.#layer.state } };
        return {
          source: 'local',
          now: Date.now(),
          instances: [{ report, ageMs: Date.now() - report.reportedAt }],
        };
      },
      {
        when: anyFailure,
        onFallback: (error) =>
          this.#o.logger.debug({ err: error }, 'instance registry unavailable; listing this instance only'),
      },
    );
  }

  /** The /api/1/metrics document. */
  async document(): Promise<MetricsDocument> {
    const [listing, counters] = await Promise.all([this.list(), this.#o.metrics.counters()]);
    return buildDocument({
      instances: listing.instances,
      source: listing.source,
      counters: listing.source === 'local' ? this.#o.metrics.localCounters() : counters.counters,
      now: listing.now,
    });
  }

  /** The /api/1/metrics/servers document: the servers with their instances and totals. */
  async servers(): Promise<ServersDocument> {
    const listing = await this.list();
    const doc = buildDocument({
      instances: listing.instances,
      source: listing.source,
      counters: {},
      now: listing.now,
    });
    return {
      timestamp: doc.timestamp,
      source: doc.source,
      singleInstance: doc.singleInstance,
      totalServers: doc.servers.length,
      servers: doc.servers,
    };
  }

  async #beatOnce(): Promise<void> {
    const report = this.#build();
    this.#last = report;
    if (!clusterReachable(this.#layer)) return;
    const keys = this.#layer.keys.instances;
    await Promise.all([
      this.#layer.store
        .runScript(
          instancesReport,
          [keys.report(this.instanceId), keys.index()],
          [JSON.stringify(report), this.#o.ttlMs, this.instanceId],
        )
        .catch((error: unknown) => this.#o.logger.debug({ err: error }, 'instance report not written')),
      this.#o.metrics.flush(),
    ]);
  }

  async #read(): Promise<Listing> {
    const keys = this.#layer.keys.instances;
    const reply = (await this.#layer.store.runScript(instancesList, [keys.index()], [])) as (
      | string
      | number
    )[];
    const now = Number(reply[0]);
    const ids: string[] = [];
    const expiries: number[] = [];
    for (let i = 1; i + 1 < reply.length; i += 2) {
      ids.push(String(reply[i]));
      expiries.push(Number(reply[i + 1]));
    }
    const raw = ids.length === 0 ? [] : await this.#layer.store.mGet(ids.map((id) => keys.report(id)));
    const instances: ListedInstance[] = [];
    raw.forEach((json, i) => {
      if (json === null) return; // Expired between the two reads.
      try {
        const report = JSON.parse(json) as InstanceReport;
        if (report.v !== 1) return;
        instances.push({ report, ageMs: now - (expiries[i]! - report.ttlMs) });
      } catch {
        this.#o.logger.warn({ id: ids[i] }, 'unreadable instance report ignored');
      }
    });
    return { source: 'cluster', now, instances };
  }

  #build(): InstanceReport {
    const now = Date.now();
    return {
      v: 1,
      id: this.instanceId,
      serverName: this.serverName,
      serverId: serverIdOf(this.serverName),
      pid: process.pid,
      version: this.#o.version,
      environment: process.env.NODE_ENV ?? 'development',
      status: this.#status,
      statusReason: this.#statusReason,
      startedAt: this.startedAt,
      reportedAt: now,
      uptimeSeconds: Math.round((now - this.startedAt) / 1000),
      reportIntervalMs: this.#o.reportIntervalMs,
      ttlMs: this.#o.ttlMs,
      ...this.#sampler.sample(),
      http: this.#o.metrics.takeHttp(),
      websocket: this.#websocket(),
      bus: busFigures(this.#bus?.()),
      redis: { state: this.#layer.state },
      counters: this.#o.metrics.localCounters(),
    };
  }
}

/** Only the figures the report carries, whatever else the source returns (BusStats has more). */
function busFigures(stats: BusFigures | undefined): BusFigures | null {
  return stats === undefined
    ? null
    : { published: stats.published, received: stats.received, missed: stats.missed };
}
