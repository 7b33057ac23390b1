/**
 * The exposition's own parts, read back by a real parser: rendering (escaping, special values),
 * merging instances under an `instance` label, and the route histograms (cumulative buckets,
 * the series cap).
 */
import { describe, expect, it } from 'vitest';
import { type Family, mergeLabelled, render } from '../../src/prometheus/family.js';
import { RouteHistograms } from '../../src/prometheus/http.js';
import { parseExposition, parseSeries, sampleValue } from '../support/prometheus.js';

const gauge = (value: number, labels: Record<string, string> = {}): Family => ({
  name: 'x_gauge',
  help: 'A gauge \\ with a backslash\nand a new line',
  type: 'gauge',
  values: [{ labels, value }],
});

describe('render', () => {
  it('escapes label values and help so that a parser reads them back', () => {
    const label = 'say "hi"\\\nbye';
    const parsed = parseExposition(render([gauge(1.5, { text: label })]));
    const family = parsed.get('x_gauge')!;
    expect(family.help).toBe('A gauge \\ with a backslash\nand a new line');
    expect(family.metrics[0]).toEqual({ labels: { text: label }, value: '1.5' });
  });

  it('writes NaN and infinities as the format spells them', () => {
    const text = render([gauge(Number.NaN), { ...gauge(Number.POSITIVE_INFINITY), name: 'y' }]);
    expect(text).toContain('x_gauge NaN\n');
    expect(text).toContain('y +Inf\n');
  });
});

describe('mergeLabelled', () => {
  it('keeps one family per name with every instance’s samples labelled', () => {
    const merged = mergeLabelled([
      { label: { instance: 'a' }, families: [gauge(1, { k: 'v' })] },
      { label: { instance: 'b' }, families: [gauge(2, { k: 'v' })] },
    ]);
    expect(merged).toHaveLength(1);
    const series = parseSeries(render(merged)).get('x_gauge');
    expect(sampleValue(series, { instance: 'a', k: 'v' })).toBe(1);
    expect(sampleValue(series, { instance: 'b', k: 'v' })).toBe(2);
  });
});

describe('RouteHistograms', () => {
  it('counts per method, route and status with cumulative buckets', () => {
    const routes = new RouteHistograms(10);
    for (const durationMs of [0.5, 3, 3, 700, 20_000]) {
      routes.observe({ method: 'GET', route: '/a/:id', status: 200, durationMs });
    }
    routes.observe({ method: 'POST', route: '/a/:id', status: 201, durationMs: 1 });
    const text = render([routes.family()]);
    expect(parseExposition(text).get('plexus_http_request_duration_seconds')!.type).toBe('HISTOGRAM');
    const series = parseSeries(text);
    const get = { method: 'GET', route: '/a/:id', status_code: '200' };
    const bucket = (le: string) =>
      sampleValue(series.get('plexus_http_request_duration_seconds_bucket'), { ...get, le });
    expect(bucket('0.001')).toBe(1);
    expect(bucket('0.005')).toBe(3);
    expect(bucket('1')).toBe(4);
    expect(bucket('10')).toBe(4);
    expect(bucket('+Inf')).toBe(5);
    expect(sampleValue(series.get('plexus_http_request_duration_seconds_count'), get)).toBe(5);
    expect(sampleValue(series.get('plexus_http_request_duration_seconds_sum'), get)).toBeCloseTo(20.7065, 6);
    const post = { method: 'POST', status_code: '201' };
    expect(sampleValue(series.get('plexus_http_request_duration_seconds_count'), post)).toBe(1);
  });

  it('counts new combinations past the cap under route (other)', () => {
    const routes = new RouteHistograms(2);
    for (const route of ['/a', '/b', '/c', '/d'])
      routes.observe({ method: 'GET', route, status: 200, durationMs: 1 });
    const counts = parseSeries(render([routes.family()])).get('plexus_http_request_duration_seconds_count')!;
    expect(counts.map((s) => [s.labels?.route, s.value])).toEqual([
      ['/a', '1'],
      ['/b', '1'],
      ['(other)', '2'],
    ]);
  });
});
