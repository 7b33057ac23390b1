/** The report each instance writes to the registry (JSON, versioned by `v`). */
import type { HttpFigures } from '../metrics/index.js';
import type { ProcessSample } from './sampler.js';

/** `running`; `stopping` once graceful shutdown began; `errored` when the application says so. */
export type ReportedStatus = 'running' | 'stopping' | 'errored';

export interface WebSocketNamespaceFigures {
  path: string;
  connections: number;
  messages: number;
  /** Epoch ms of the last message or connection, null when none yet. */
  lastActivity: number | null;
}

export interface WebSocketFigures {
  connections: number;
  messages: number;
  namespaces: WebSocketNamespaceFigures[];
}

export interface BusFigures {
  published: number;
  received: number;
  missed: number;
}

export interface InstanceReport extends ProcessSample {
  v: 1;
  id: string;
  serverName: string;
  /** Digits at the end of the server name (`web01` → 1), as seed 004 groups servers; null if none. */
  serverId: number | null;
  pid: number;
  version: string;
  environment: string;
  status: ReportedStatus;
  statusReason: string | null;
  startedAt: number;
  reportedAt: number;
  uptimeSeconds: number;
  reportIntervalMs: number;
  ttlMs: number;
  http: HttpFigures;
  websocket: WebSocketFigures;
  bus: BusFigures | null;
  redis: { state: string };
  /** This instance's custom counters since it started (cluster totals are in the document). */
  counters: Record<string, number>;
}

export function serverIdOf(serverName: string): number | null {
  const match = /(\d+)(?:\.|$)/.exec(serverName);
  return match === null ? null : Number(match[1]);
}

export function formatUptime(seconds: number): string {
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts = [d > 0 ? `${d}d` : '', d > 0 || h > 0 ? `${h}h` : '', `${m}m`, `${s % 60}s`];
  return parts.filter((p) => p !== '').join(' ');
}
