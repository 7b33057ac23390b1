/** The shapes of the admin routes' answers (src/dashboard/document.ts, panels.ts on the server). */
export type InstanceState = 'running' | 'stale' | 'stopping' | 'errored' | 'stopped' | 'dead';

export interface InstanceRow {
  id: string;
  pid: number;
  state: InstanceState;
  statusReason: string | null;
  version: string;
  environment: string;
  startedAt: number;
  lastSeen: number;
  uptimeSeconds: number | null;
  cpuPercent: number | null;
  rssBytes: number | null;
  heapUsedBytes: number | null;
  eventLoopP99Ms: number | null;
  requestsPerSec: number | null;
  errorsPerMin: number | null;
  latencyP99Ms: number | null;
  wsConnections: number | null;
  redisState: string | null;
  details: Record<string, unknown> | null;
}

export interface ServerRow {
  serverName: string;
  restarts: number;
  instances: InstanceRow[];
}

export type Cell = string | number | boolean | null;

export interface PanelAction {
  id: string;
  label: string;
  input?: { label: string; maxLength: number };
  confirm?: string;
}

export interface PanelAnswer {
  id: string;
  title: string;
  actions: PanelAction[];
  error?: string;
  summary?: { label: string; value: Cell; tone?: 'ok' | 'warn' | 'bad' }[];
  table?: {
    caption: string;
    columns: string[];
    rows: Cell[][];
    rowAction?: { action: string; label: string; column: number };
  };
  details?: { title: string; body: string }[];
  note?: string;
}

export interface DashboardDocument {
  v: 1;
  source: 'cluster' | 'local';
  answeredBy: string;
  redisState: string;
  windowMs: number;
  stepMs: number;
  fields: string[];
  servers: ServerRow[];
  history: Record<string, number[][]>;
  panels: PanelAnswer[];
}

export interface SessionInfo {
  via: 'session' | 'token';
  login: string | null;
  csrfToken: string | null;
}
