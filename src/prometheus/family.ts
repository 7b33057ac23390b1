/**
 * Metric families as plain data, and their Prometheus text exposition (format 0.0.4). One shape for
 * this instance's figures (prom-client's `getMetricsAsJSON()` plus the route histograms), for what
 * each instance stores in Redis, and for the cluster-wide merge, so both expositions render alike.
 */
import type { MetricObjectWithValues, MetricValue } from 'prom-client';

export type FamilyType = 'counter' | 'gauge' | 'histogram' | 'summary';

export interface Sample {
  /** The series name when it differs from the family's (`_bucket`, `_sum`, `_count`). */
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  type: FamilyType;
  values: Sample[];
}

/**
 * prom-client's JSON. Its types are behind its run time: `type` is declared a numeric enum but is
 * the text name (`'counter'`), and samples carry `metricName` though the types omit it.
 */
export function fromPromClient(metrics: MetricObjectWithValues<MetricValue<string>>[]): Family[] {
  return metrics.map((m) => ({
    name: m.name,
    help: m.help,
    type: String(m.type) as FamilyType,
    values: m.values.map((v) => {
      const metricName = (v as { metricName?: unknown }).metricName;
      const labels = v.labels as Record<string, string | number>;
      return typeof metricName === 'string'
        ? { metricName, labels, value: v.value }
        : { labels, value: v.value };
    }),
  }));
}

/** Every family's samples with `label="value"` added, merged by family name (first help and type win). */
export function mergeLabelled(
  sets: readonly { label: Record<string, string>; families: Family[] }[],
): Family[] {
  const merged = new Map<string, Family>();
  for (const { label, families } of sets) {
    for (const family of families) {
      let into = merged.get(family.name);
      if (into === undefined) {
        into = { name: family.name, help: family.help, type: family.type, values: [] };
        merged.set(family.name, into);
      }
      for (const sample of family.values)
        into.values.push({ ...sample, labels: { ...sample.labels, ...label } });
    }
  }
  return [...merged.values()];
}

export function render(families: readonly Family[], comments: readonly string[] = []): string {
  const lines = comments.map((c) => `# ${c.replace(/\n/g, ' ')}`);
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    for (const sample of family.values) {
      const labels = Object.entries(sample.labels)
        .map(([name, value]) => `${name}="${escapeLabel(String(value))}"`)
        .join(',');
      const series = sample.metricName ?? family.name;
      lines.push(`${series}${labels === '' ? '' : `{${labels}}`} ${formatValue(sample.value)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabel(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}
