/**
 * Aggregation of instance reports into the /api/1/metrics document (the shape of seed 004):
 * cluster `statistics` and `servers[]`, each server with its `instances[]`.
 *
 * Each numeric field has one rule, `FIELD_RULES`, applied over the instances of a group (the whole
 * cluster, or one server): `sum` for quantities that add up (memory, connections, rates), `avg`
 * for per-process ratios (CPU, event-loop utilisation), `max` for tails (p99 delays, uptime),
 * `distinct` for values that should agree (versions: two during a rolling deploy). A server's
 * hardware fields are `first`: taken from its freshest report (every instance on a server reports
 * the same host); the cluster's hardware figures sum them over servers.
 */
import type { InstanceReport } from './report.js';
import { formatUptime } from './report.js';
import type { HostFacts } from './sampler.js';

export type Rule = 'sum' | 'avg' | 'max' | 'distinct';

export const FIELD_RULES = {
  'memory.rss': 'sum',
  'memory.heapUsed': 'sum',
  'memory.heapTotal': 'sum',
  'memory.external': 'sum',
  'cpu.percent': 'avg',
  'eventLoop.delayP50Ms': 'avg',
  'eventLoop.delayP99Ms': 'max',
  'eventLoop.delayMaxMs': 'max',
  'eventLoop.utilization': 'avg',
  'http.connections': 'sum',
  'http.inFlight': 'sum',
  'http.requests': 'sum',
  'http.errors': 'sum',
  'http.requestsPerSecond': 'sum',
  'http.errorsPerSecond': 'sum',
  'http.latencyAvgMs': 'avg',
  'http.latencyP99Ms': 'max',
  'websocket.connections': 'sum',
  'websocket.messages': 'sum',
  'bus.published': 'sum',
  'bus.received': 'sum',
  'bus.missed': 'sum',
  uptimeSeconds: 'max',
  version: 'distinct',
  environment: 'distinct',
  'host.nodeVersion': 'distinct',
} as const satisfies Record<string, Rule>;

export type EffectiveStatus = 'running' | 'stopped' | 'errored';

/** A report as read back, with how long ago it was written (by the Store's clock). */
export interface ListedInstance {
  report: InstanceReport;
  ageMs: number;
}

export interface InstanceEntry extends InstanceReport {
  /** `stopped` for a stopping instance or one that missed two reports; see `statusDetail`. */
  effectiveStatus: EffectiveStatus;
  statusDetail: 'running' | 'stopping' | 'stale' | 'errored';
  lastSeenMs: number;
  uptimeFormatted: string;
}

export interface NamespaceStatistics {
  path: string;
  totalConnections: number;
  totalMessages: number;
  instanceCount: number;
  serverCount: number;
  /** green: every instance serving it is running; yellow: some are not; red: none is. */
  status: 'green' | 'yellow' | 'red';
  lastActivity: string | null;
}

export type Totals = Record<string, number | string[]>;

/** One server's instances; its hardware figures come from its freshest report. */
export interface ServerGroup extends HostFacts {
  serverName: string;
  serverId: number | null;
  totals: Totals;
  instances: InstanceEntry[];
}

export interface MetricsDocument {
  status: 'ok';
  timestamp: string;
  source: 'cluster' | 'local';
  /** True when Redis is unreachable and the figures are this instance's only. */
  singleInstance: boolean;
  statistics: {
    totalServers: number;
    totalInstances: number;
    totalProcesses: number;
    runningProcesses: number;
    stoppedProcesses: number;
    erroredProcesses: number;
    totalWebSocketConnections: number;
    totalWebSocketMessages: number;
    totalWebSocketNamespaces: number;
    webSocketNamespaces: NamespaceStatistics[];
    totals: Totals;
    hardware: { cpus: number; totalMemory: number; freeMemory: number };
    counters: Record<string, number>;
    lastUpdated: string | null;
  };
  servers: ServerGroup[];
}

function read(report: InstanceReport, parts: readonly string[]): unknown {
  let value: unknown = report;
  for (const part of parts) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Applies `rules` over `reports`. */
export function applyRules(reports: readonly InstanceReport[], rules: Record<string, Rule>): Totals {
  const totals: Totals = {};
  for (const [path, rule] of Object.entries(rules)) {
    const parts = path.split('.');
    if (rule === 'distinct') {
      const values = new Set<string>();
      for (const report of reports) {
        const value = read(report, parts);
        if (value !== undefined && value !== null) values.add(String(value));
      }
      totals[path] = [...values].sort();
      continue;
    }
    let sum = 0;
    let max = 0;
    let n = 0;
    for (const report of reports) {
      const value = read(report, parts);
      if (typeof value !== 'number' || !Number.isFinite(value)) continue;
      sum += value;
      max = n === 0 ? value : Math.max(max, value);
      n++;
    }
    totals[path] = rule === 'sum' ? round(sum) : rule === 'avg' ? (n === 0 ? 0 : round(sum / n)) : round(max);
  }
  return totals;
}

export function effectiveStatus(listed: ListedInstance): InstanceEntry['statusDetail'] {
  const { report, ageMs } = listed;
  if (report.status === 'stopping') return 'stopping';
  // Two missed reports (plus scheduling slack): frozen, cut off or dying; it vanishes at its TTL.
  if (ageMs > report.reportIntervalMs * 2 + 1000) return 'stale';
  return report.status;
}

function entry(listed: ListedInstance): InstanceEntry {
  const detail = effectiveStatus(listed);
  return {
    ...listed.report,
    effectiveStatus: detail === 'running' ? 'running' : detail === 'errored' ? 'errored' : 'stopped',
    statusDetail: detail,
    lastSeenMs: Math.max(0, Math.round(listed.ageMs)),
    uptimeFormatted: formatUptime(listed.report.uptimeSeconds),
  };
}

export interface DocumentInput {
  instances: readonly ListedInstance[];
  source: MetricsDocument['source'];
  counters: Record<string, number>;
  now: number;
}

export function buildDocument(input: DocumentInput): MetricsDocument {
  const entries = input.instances
    .map(entry)
    .sort((a, b) => b.reportedAt - a.reportedAt || (a.id < b.id ? -1 : 1));
  const byServer = new Map<string, InstanceEntry[]>();
  for (const e of entries) {
    const group = byServer.get(e.serverName);
    if (group === undefined) byServer.set(e.serverName, [e]);
    else group.push(e);
  }
  const servers: ServerGroup[] = [...byServer]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([serverName, instances]) => {
      const host = instances[0]!.host; // `first`: the freshest report (entries are sorted so)
      return {
        serverName,
        serverId: instances[0]!.serverId,
        ...host,
        totals: applyRules(instances, FIELD_RULES),
        instances: [...instances].sort((a, b) => a.pid - b.pid || (a.id < b.id ? -1 : 1)),
      };
    });
  const count = (s: EffectiveStatus) => entries.filter((e) => e.effectiveStatus === s).length;
  const namespaces = namespaceStatistics(entries);
  const lastUpdated = entries.length === 0 ? null : new Date(entries[0]!.reportedAt).toISOString();
  return {
    status: 'ok',
    timestamp: new Date(input.now).toISOString(),
    source: input.source,
    singleInstance: input.source === 'local',
    statistics: {
      totalServers: servers.length,
      totalInstances: entries.length,
      totalProcesses: entries.length,
      runningProcesses: count('running'),
      stoppedProcesses: count('stopped'),
      erroredProcesses: count('errored'),
      totalWebSocketConnections: entries.reduce((n, e) => n + e.websocket.connections, 0),
      totalWebSocketMessages: entries.reduce((n, e) => n + e.websocket.messages, 0),
      totalWebSocketNamespaces: namespaces.length,
      webSocketNamespaces: namespaces,
      totals: applyRules(entries, FIELD_RULES),
      hardware: {
        cpus: servers.reduce((n, s) => n + s.cpus, 0),
        totalMemory: servers.reduce((n, s) => n + s.totalMemory, 0),
        freeMemory: servers.reduce((n, s) => n + s.freeMemory, 0),
      },
      counters: input.counters,
      lastUpdated,
    },
    servers,
  };
}

function namespaceStatistics(entries: readonly InstanceEntry[]): NamespaceStatistics[] {
  const byPath = new Map<
    string,
    {
      connections: number;
      messages: number;
      instances: InstanceEntry[];
      servers: Set<string>;
      last: number | null;
    }
  >();
  for (const e of entries) {
    for (const ns of e.websocket.namespaces) {
      let agg = byPath.get(ns.path);
      if (agg === undefined) {
        agg = { connections: 0, messages: 0, instances: [], servers: new Set(), last: null };
        byPath.set(ns.path, agg);
      }
      agg.connections += ns.connections;
      agg.messages += ns.messages;
      agg.instances.push(e);
      agg.servers.add(e.serverName);
      if (ns.lastActivity !== null) agg.last = Math.max(agg.last ?? 0, ns.lastActivity);
    }
  }
  return [...byPath]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, agg]) => {
      const running = agg.instances.filter((e) => e.effectiveStatus === 'running').length;
      return {
        path,
        totalConnections: agg.connections,
        totalMessages: agg.messages,
        instanceCount: agg.instances.length,
        serverCount: agg.servers.size,
        status: running === agg.instances.length ? 'green' : running === 0 ? 'red' : 'yellow',
        lastActivity: agg.last === null ? null : new Date(agg.last).toISOString(),
      };
    });
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
