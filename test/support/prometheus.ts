/**
 * Parses a Prometheus text exposition with parse-prometheus-text-format (a port of the Prometheus
 * Python client's parser, output as prom2json's), so tests check what a real scraper reads.
 *
 * That parser folds every series of a histogram into one, without labels (it only handles an
 * unlabelled histogram). `parseSeries` therefore also parses the text with histogram families
 * declared untyped, which keeps each `_bucket`, `_sum` and `_count` line with its labels.
 */
import { createRequire } from 'node:module';

export interface ParsedSample {
  labels?: Record<string, string>;
  value?: string;
}

export interface ParsedFamily {
  name: string;
  help: string;
  type: string;
  metrics: ParsedSample[];
}

const parser = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  text: string,
) => ParsedFamily[];

/** Families by name, as the parser reads them (histograms folded: use `parseSeries` for their values). */
export function parseExposition(text: string): Map<string, ParsedFamily> {
  return new Map(parser(text).map((family) => [family.name, family]));
}

/** Every series by its full name (`x_bucket`, `x_count`, ...), with labels. */
export function parseSeries(text: string): Map<string, ParsedSample[]> {
  const untyped = text.replace(/^# TYPE (\S+) histogram$/gm, '# TYPE $1 untyped');
  const series = new Map<string, ParsedSample[]>();
  for (const family of parser(untyped)) {
    series.set(family.name, [...(series.get(family.name) ?? []), ...family.metrics]);
  }
  return series;
}

/** The value of the first sample of `samples` whose labels include `labels`. */
export function sampleValue(
  samples: ParsedSample[] | undefined,
  labels: Record<string, string> = {},
): number {
  const found = samples?.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
  return Number(found?.value);
}
