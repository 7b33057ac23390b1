/**
 * The shapes of the dashboard's data as they travel: the document the admin data route answers
 * (src/dashboard/document.ts builds it) and the panels in it (src/dashboard/panels.ts). Declared once
 * here, with no imports, so that the page's code (src/dashboard/web/, type-checked with the DOM
 * library) uses the very types the server answers with.
 */

export type InstanceState = 'running' | 'stale' | 'stopping' | 'errored' | 'stopped' | 'dead';

export interface InstanceRow {
  id: string;
  pid: number;
  state: InstanceState;
  statusReason: string | null;
  version: string;
  environment: string;
  startedAt: number;
  /** Epoch ms of its last report (live) or last history point (dead, stopped). */
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
  /** Process, host, HTTP, bus and counters as the instance reported them; null when it is gone. */
  details: Record<string, unknown> | null;
}

export interface ServerRow {
  serverName: string;
  /** Instances of this server that died (stopped reporting without shutting down) within the window. */
  restarts: number;
  instances: InstanceRow[];
}

export type Cell = string | number | boolean | null;

export interface PanelView {
  /** Figures shown above the table; `tone` adds a word and an icon, never colour alone. */
  summary?: { label: string; value: Cell; tone?: 'ok' | 'warn' | 'bad' }[];
  table?: {
    caption: string;
    columns: string[];
    rows: Cell[][];
    /** A button on every row that runs `action` with the row's cell at `column` as its value. */
    rowAction?: { action: string; label: string; column: number };
  };
  /** Expandable entries (an error's stack). */
  details?: { title: string; body: string }[];
  /** A sentence under the panel (why something is empty, what a figure counts). */
  note?: string;
}

export interface PanelAction {
  id: string;
  label: string;
  /** A text field whose value the action receives; omitted for actions without input. */
  input?: { label: string; maxLength: number };
  /** Asked before the action runs (the page shows it in a confirmation). */
  confirm?: string;
}

export interface PanelAnswer extends PanelView {
  id: string;
  title: string;
  actions: PanelAction[];
  error?: string;
}

/** Points as rows of numbers, in the order of the point fields (`t` first). */
export type Rows = number[][];

/** One line of every plot: an instance, a server's instances, or the whole cluster. */
export interface PlotSeries {
  id: string;
  label: string;
  /** How many instances it combines. */
  instances: number;
  /** Per field (in the order of `PlotHistory.fields`), a value or null per bucket of `t`. */
  values: (number | null)[][];
}

/** The plots' data, downsampled on the server (src/dashboard/buckets.ts). */
export interface PlotHistory {
  /** Width of a bucket; `t` holds bucket starts (epoch ms, multiples of it). */
  bucketMs: number;
  /** One series per instance, per server, or one for the cluster (many instances). */
  grouping: 'instance' | 'server' | 'cluster';
  fields: readonly string[];
  /** How instances combine in a series, per field: summed, their maximum, or their mean. */
  across: readonly ('sum' | 'max' | 'mean')[];
  /** The buckets answered start at or after this (the request's `since`). */
  since: number;
  t: number[];
  series: PlotSeries[];
}

export interface DashboardDocument {
  v: 2;
  /** `cluster`: every instance through Redis; `local`: Redis is out of reach, this instance only. */
  source: 'cluster' | 'local';
  answeredBy: string;
  redisState: string;
  windowMs: number;
  stepMs: number;
  servers: ServerRow[];
  /** The buckets from the request's `since` on (the whole window for 0). */
  plots: PlotHistory;
  panels: PanelAnswer[];
}
