/**
 * One point of an instance's history: what the plots show, sampled from the instance's latest
 * report (src/instances/), the connection layer's statistics and the cache's counters. Rates that
 * those sources only keep as totals (Redis operations, cache lookups, WebSocket messages) are
 * differences since the previous point.
 *
 * A point is stored as a JSON array in the order of `POINT_FIELDS` (a tenth of the size of an
 * object with names; the history of 100 instances over an hour is read at once).
 */
import type { InstanceReport } from '../instances/report.js';

export const POINT_FIELDS = [
  't', // epoch ms, the instance's clock
  'requestsPerMin',
  'latencyP99Ms',
  'errorsPerMin',
  'cpuPercent',
  'rssBytes',
  'eventLoopP99Ms',
  'redisAvgMs',
  'redisP99Ms',
  'redisOpsPerSec',
  'cacheHitRate', // 0..1 over the lookups since the previous point; -1 when there were none
  'wsConnections',
  'wsMessagesPerSec',
] as const;

export type PointField = (typeof POINT_FIELDS)[number];
export type HistoryPoint = Record<PointField, number>;

/** Totals the next point's rates are taken from. */
export interface Totals {
  at: number;
  redisOps: number;
  cacheHits: number;
  cacheLookups: number;
  wsMessages: number;
}

export interface Sources {
  report: InstanceReport;
  redis: { total: number; averageLatencyMs: number; p99LatencyMs: number };
  cache: { hits: number; lookups: number };
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

export function takePoint(now: number, s: Sources, previous: Totals | undefined): [HistoryPoint, Totals] {
  const totals: Totals = {
    at: now,
    redisOps: s.redis.total,
    cacheHits: s.cache.hits,
    cacheLookups: s.cache.lookups,
    wsMessages: s.report.websocket.messages,
  };
  const seconds = previous === undefined ? 0 : Math.max(0.001, (now - previous.at) / 1000);
  const rate = (now: number, before: number | undefined) =>
    before === undefined || seconds === 0 ? 0 : round(Math.max(0, now - before) / seconds);
  const lookups = totals.cacheLookups - (previous?.cacheLookups ?? totals.cacheLookups);
  const http = s.report.http;
  const point: HistoryPoint = {
    t: now,
    requestsPerMin: round(http.requestsPerSecond * 60),
    latencyP99Ms: round(http.latencyP99Ms),
    errorsPerMin: round(http.errorsPerSecond * 60),
    cpuPercent: round(s.report.cpu.percent),
    rssBytes: s.report.memory.rss,
    eventLoopP99Ms: round(s.report.eventLoop.delayP99Ms),
    redisAvgMs: round(s.redis.averageLatencyMs, 3),
    redisP99Ms: round(s.redis.p99LatencyMs, 3),
    redisOpsPerSec: rate(totals.redisOps, previous?.redisOps),
    cacheHitRate:
      previous === undefined || lookups <= 0
        ? -1
        : round((totals.cacheHits - previous.cacheHits) / lookups, 4),
    wsConnections: s.report.websocket.connections,
    wsMessagesPerSec: rate(totals.wsMessages, previous?.wsMessages),
  };
  return [point, totals];
}

export function encodePoint(point: HistoryPoint): string {
  return JSON.stringify(POINT_FIELDS.map((f) => point[f]));
}

/** Null for anything that is not a point of this version (a newer instance during a rolling deploy). */
export function decodePoint(json: string): number[] | null {
  try {
    const value = JSON.parse(json) as unknown;
    if (!Array.isArray(value) || value.length !== POINT_FIELDS.length) return null;
    return value.every((n) => typeof n === 'number') ? (value as number[]) : null;
  } catch {
    return null;
  }
}
