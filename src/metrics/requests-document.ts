/**
 * Per-minute request counts as /api/1/metrics/requests serves them: each minute's hash of
 * `METHOD route status` → count (summed over the cluster, or this instance's), turned into totals
 * by route and status and a per-minute breakdown.
 */
import type { Sourced } from './cluster.js';
import { add, type Deltas } from './deltas.js';

export const MINUTE_MS = 60_000;

export interface RequestCount {
  method: string;
  route: string;
  status: number;
  count: number;
}

export interface RequestsDocument extends Sourced {
  minutes: number;
  from: string;
  to: string;
  total: number;
  byStatus: Record<string, number>;
  routes: RequestCount[];
  perMinute: { minute: string; total: number; routes: RequestCount[] }[];
}

function parseField(field: string, count: number): RequestCount | undefined {
  const first = field.indexOf(' ');
  const last = field.lastIndexOf(' ');
  if (first <= 0 || last <= first) return undefined;
  const status = Number(field.slice(last + 1));
  if (!Number.isInteger(status)) return undefined;
  return { method: field.slice(0, first), route: field.slice(first + 1, last), status, count };
}

function byCount(a: RequestCount, b: RequestCount): number {
  return b.count - a.count || (a.route < b.route ? -1 : a.route > b.route ? 1 : a.status - b.status);
}

export function requestsDocument(
  minutes: number[],
  hashes: Deltas[],
  source: Sourced['source'],
): RequestsDocument {
  const totals = new Map<string, number>();
  const byStatus: Record<string, number> = {};
  let total = 0;
  const perMinute = minutes.map((minute, i) => {
    const routes: RequestCount[] = [];
    let minuteTotal = 0;
    for (const [field, count] of hashes[i]!) {
      const parsed = parseField(field, count);
      if (parsed === undefined || count === 0) continue;
      routes.push(parsed);
      minuteTotal += count;
      add(totals, field, count);
      byStatus[parsed.status] = (byStatus[parsed.status] ?? 0) + count;
    }
    total += minuteTotal;
    return {
      minute: new Date(minute * MINUTE_MS).toISOString(),
      total: minuteTotal,
      routes: routes.sort(byCount),
    };
  });
  const routes = [...totals].flatMap(([f, c]) => parseField(f, c) ?? []).sort(byCount);
  return {
    source,
    singleInstance: source === 'local',
    minutes: minutes.length,
    from: new Date(minutes[0]! * MINUTE_MS).toISOString(),
    to: new Date((minutes.at(-1)! + 1) * MINUTE_MS).toISOString(),
    total,
    byStatus,
    routes,
    perMinute,
  };
}
