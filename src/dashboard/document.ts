/**
 * The dashboard's one data document: servers → instances (live ones from the instance registry,
 * the dead and the stopped from the history's `known` hash), each instance's history after the
 * client's `since` (server-side buckets, src/dashboard/buckets.ts), and every panel. Built from the modules' APIs only.
 *
 * Nothing in it changes from one read to the next unless a figure did (no read time, no "seen
 * ago"), so its hash is a fair ETag: a page polling every second mostly gets 304 between reports.
 */
import { effectiveStatus, type ListedInstance } from '../instances/aggregate.js';
import { type BucketSet, plotHistory } from './buckets.js';
import type { KnownInstance } from './history.js';
import type { PanelAnswer } from './panels.js';
import type { DashboardDocument, InstanceRow, ServerRow } from './shapes.js';

export type { DashboardDocument, InstanceRow, InstanceState, ServerRow } from './shapes.js';

export interface DocumentInput {
  source: 'cluster' | 'local';
  answeredBy: string;
  redisState: string;
  windowMs: number;
  stepMs: number;
  deadShownMs: number;
  now: number;
  listed: readonly ListedInstance[];
  known: readonly KnownInstance[];
  /** Each shown instance's history, reduced to buckets. */
  buckets: ReadonlyMap<string, BucketSet>;
  bucketMs: number;
  /** Buckets starting before this are left out (the page has them). */
  since: number;
  panels: PanelAnswer[];
}

function liveRow(listed: ListedInstance): InstanceRow {
  const r = listed.report;
  const detail = effectiveStatus(listed);
  return {
    id: r.id,
    pid: r.pid,
    state: detail,
    statusReason: r.statusReason,
    version: r.version,
    environment: r.environment,
    startedAt: r.startedAt,
    lastSeen: r.reportedAt,
    uptimeSeconds: r.uptimeSeconds,
    cpuPercent: r.cpu.percent,
    rssBytes: r.memory.rss,
    heapUsedBytes: r.memory.heapUsed,
    eventLoopP99Ms: r.eventLoop.delayP99Ms,
    requestsPerSec: r.http.requestsPerSecond,
    errorsPerMin: Math.round(r.http.errorsPerSecond * 6000) / 100,
    latencyP99Ms: r.http.latencyP99Ms,
    wsConnections: r.websocket.connections,
    redisState: r.redis.state,
    details: {
      serverName: r.serverName,
      pid: r.pid,
      node: r.host.nodeVersion,
      platform: `${r.host.platform}/${r.host.arch}`,
      cpus: r.host.cpus,
      loadAverage: r.host.loadAverage,
      hostMemory: { free: r.host.freeMemory, total: r.host.totalMemory },
      deployment: { version: r.version, environment: r.environment, reportIntervalMs: r.reportIntervalMs },
      memory: r.memory,
      eventLoop: r.eventLoop,
      http: r.http,
      websocket: r.websocket,
      bus: r.bus,
      redis: r.redis,
      counters: r.counters,
    },
  };
}

function goneRow(k: KnownInstance): InstanceRow {
  return {
    id: k.id,
    pid: k.pid,
    state: k.stopped ? 'stopped' : 'dead',
    statusReason: null,
    version: k.version,
    environment: '',
    startedAt: k.startedAt,
    lastSeen: k.lastSeen,
    uptimeSeconds: null,
    cpuPercent: null,
    rssBytes: null,
    heapUsedBytes: null,
    eventLoopP99Ms: null,
    requestsPerSec: null,
    errorsPerMin: null,
    latencyP99Ms: null,
    wsConnections: null,
    redisState: null,
    details: null,
  };
}

export function buildDocument(input: DocumentInput): DashboardDocument {
  const byServer = new Map<string, ServerRow>();
  const server = (name: string) => {
    let row = byServer.get(name);
    if (row === undefined) {
      row = { serverName: name, restarts: 0, instances: [] };
      byServer.set(name, row);
    }
    return row;
  };
  const live = new Set<string>();
  for (const listed of input.listed) {
    live.add(listed.report.id);
    server(listed.report.serverName).instances.push(liveRow(listed));
  }
  for (const k of input.known) {
    if (live.has(k.id)) continue;
    if (!k.stopped) server(k.serverName).restarts++;
    if (input.now - k.lastSeen <= input.deadShownMs) server(k.serverName).instances.push(goneRow(k));
  }
  const servers = [...byServer.values()].sort((a, b) => (a.serverName < b.serverName ? -1 : 1));
  for (const s of servers) s.instances.sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : 1));
  const members = servers.flatMap((s) =>
    s.instances.map((i) => ({ id: i.id, serverName: s.serverName, pid: i.pid })),
  );
  return {
    v: 2,
    source: input.source,
    answeredBy: input.answeredBy,
    redisState: input.redisState,
    windowMs: input.windowMs,
    stepMs: input.stepMs,
    servers,
    plots: plotHistory(members, input.buckets, input.bucketMs, input.since),
    panels: input.panels,
  };
}
