/**
 * The last hour as uPlot charts. The server sends buckets (src/dashboard/buckets.ts): a fixed number
 * over the window, one series per instance, per server or for the cluster; this keeps each series'
 * buckets and replaces those an answer brings again (the latest ones fill up until they are over).
 * Series differ by dash pattern and name as well as colour, and each chart's caption states the
 * latest value of every series in words.
 */
import uPlot from 'uplot';
import { h } from './dom.js';
import type { DashboardDocument, PlotHistory } from './types.js';

interface PlotSpec {
  id: string;
  title: string;
  field: string;
  unit: string;
  /** Maps a stored value to the plotted one (null: no value). */
  map?: (v: number) => number | null;
}

const PLOTS: PlotSpec[] = [
  { id: 'requests', title: 'Requests per minute', field: 'requestsPerMin', unit: 'req/min' },
  { id: 'latency', title: 'HTTP latency p99', field: 'latencyP99Ms', unit: 'ms' },
  { id: 'errors', title: 'Errors per minute', field: 'errorsPerMin', unit: 'errors/min' },
  { id: 'redis-latency', title: 'Redis latency p99', field: 'redisP99Ms', unit: 'ms' },
  { id: 'redis-ops', title: 'Redis operations per second', field: 'redisOpsPerSec', unit: 'ops/s' },
  {
    id: 'cache-hits',
    title: 'Cache hit rate',
    field: 'cacheHitRate',
    unit: '%',
    map: (v) => (v < 0 ? null : Math.round(v * 1000) / 10),
  },
  { id: 'ws-connections', title: 'WebSocket connections', field: 'wsConnections', unit: 'connections' },
  { id: 'ws-messages', title: 'WebSocket messages per second', field: 'wsMessagesPerSec', unit: 'msg/s' },
  { id: 'cpu', title: 'CPU', field: 'cpuPercent', unit: '%' },
];

const COLORS = ['#1f5fa8', '#b3261e', '#1b7a3a', '#8a4b00', '#6a3fa0', '#00707a', '#a0306f', '#4d4d4d'];
const DASHES = [[], [6, 3], [2, 2], [10, 3, 2, 3]];

interface Chart {
  spec: PlotSpec;
  figure: HTMLElement;
  caption: HTMLElement;
  holder: HTMLElement;
  plot: uPlot | undefined;
  ids: string;
}

export class Plots {
  /** Per series, bucket start → a value (or null) per field. */
  readonly #series = new Map<string, Map<number, (number | null)[]>>();
  readonly #charts: Chart[];
  #fields: readonly string[] = [];
  #across: readonly string[] = [];
  #windowMs = 3_600_000;
  #bucketMs = 0;
  #grouping: PlotHistory['grouping'] | undefined;
  #labels = new Map<string, string>();
  readonly #resize = new ResizeObserver(() => this.#sizeAll());

  constructor(container: HTMLElement) {
    this.#charts = PLOTS.map((spec) => {
      const caption = h('figcaption', { id: `plot-${spec.id}-caption` }, spec.title);
      const holder = h('div', {
        class: 'plot-canvas',
        role: 'img',
        'aria-labelledby': `plot-${spec.id}-caption`,
      });
      const figure = h(
        'figure',
        { class: 'plot', id: `plot-${spec.id}`, 'data-points': '0' },
        caption,
        holder,
      );
      container.append(figure);
      this.#resize.observe(figure);
      return { spec, figure, caption, holder, plot: undefined, ids: '' };
    });
  }

  /** Drops everything (the source changed: cluster ↔ this instance). */
  clear(): void {
    this.#series.clear();
    this.#grouping = undefined;
  }

  #latest(): number | undefined {
    let latest: number | undefined;
    for (const buckets of this.#series.values())
      for (const start of buckets.keys()) if (latest === undefined || start > latest) latest = start;
    return latest;
  }

  /**
   * The `since` to ask for next: the last two buckets again (the latest was still filling, and an
   * instance's point may land in the one before), or 0 for the whole window.
   */
  since(): number {
    const latest = this.#latest();
    return latest === undefined ? 0 : Math.max(0, latest - this.#bucketMs);
  }

  /**
   * Whether an answer continues what is shown: it starts at a bucket this already has (or is the
   * whole window), and is grouped as before. False: ask again with `since()` (or 0 after `clear()`).
   */
  accepts(plots: PlotHistory): boolean {
    if (
      this.#grouping !== undefined &&
      (plots.grouping !== this.#grouping || plots.bucketMs !== this.#bucketMs)
    ) {
      if (plots.since === 0) return true;
      this.clear();
      return false;
    }
    if (plots.since === 0) return true;
    const latest = this.#latest();
    return latest !== undefined && plots.since <= latest;
  }

  update(doc: DashboardDocument): void {
    const plots = doc.plots;
    if (plots.since === 0 || plots.grouping !== this.#grouping || plots.bucketMs !== this.#bucketMs) {
      this.#series.clear();
    }
    this.#fields = plots.fields;
    this.#across = plots.across;
    this.#windowMs = doc.windowMs;
    this.#bucketMs = plots.bucketMs;
    this.#grouping = plots.grouping;
    this.#labels = new Map(plots.series.map((s) => [s.id, s.label] as const));
    const cutoff = Date.now() - doc.windowMs - plots.bucketMs;
    for (const series of plots.series) {
      let buckets = this.#series.get(series.id);
      if (buckets === undefined) {
        buckets = new Map();
        this.#series.set(series.id, buckets);
      }
      plots.t.forEach((start, i) => {
        const values = series.values.map((column) => column[i] ?? null);
        if (values.every((v) => v === null)) buckets.delete(start);
        else buckets.set(start, values);
      });
      for (const start of [...buckets.keys()]) if (start < cutoff) buckets.delete(start);
    }
    for (const id of [...this.#series.keys()]) if (!this.#labels.has(id)) this.#series.delete(id);
    const ids = [...this.#series.keys()].sort();
    for (const chart of this.#charts) this.#draw(chart, ids);
  }

  #draw(chart: Chart, ids: string[]): void {
    const column = this.#fields.indexOf(chart.spec.field);
    const starts = new Set<number>();
    for (const id of ids) for (const start of this.#series.get(id)!.keys()) starts.add(start);
    const xs = [...starts].sort((a, b) => a - b);
    const latest: string[] = [];
    const value = (raw: number | null | undefined) =>
      raw === null || raw === undefined ? null : chart.spec.map ? chart.spec.map(raw) : raw;
    const series = ids.map((id) => {
      const buckets = this.#series.get(id)!;
      const ys = xs.map((x) => value(buckets.get(x)?.[column]));
      const last = [...buckets.keys()].sort((a, b) => b - a)[0];
      if (last !== undefined) {
        const v = value(buckets.get(last)![column]);
        latest.push(`${this.#labels.get(id) ?? id}: ${v === null ? 'no data' : `${v} ${chart.spec.unit}`}`);
      }
      return ys;
    });
    const data: uPlot.AlignedData = [xs.map((x) => x / 1000), ...series];
    chart.figure.dataset.points = String(xs.length);
    const combined = this.#grouping !== 'instance' ? `, ${this.#across[column] ?? 'sum'} per series` : '';
    chart.caption.textContent = `${chart.spec.title} (${chart.spec.unit}${combined}) — latest: ${latest.join('; ') || 'no data yet'}`;
    const key = ids.map((id) => `${id}=${this.#labels.get(id)}`).join(',');
    if (chart.plot === undefined || chart.ids !== key) {
      chart.plot?.destroy();
      chart.ids = key;
      chart.plot = new uPlot(this.#options(chart, ids), data, chart.holder);
    } else {
      chart.plot.setData(data);
    }
  }

  #options(chart: Chart, ids: string[]): uPlot.Options {
    return {
      width: Math.max(240, chart.figure.clientWidth - 16),
      height: 180,
      legend: { show: true, live: false },
      scales: {
        x: {
          time: true,
          range: (): uPlot.Range.MinMax => {
            const now = Date.now() / 1000;
            return [now - this.#windowMs / 1000, now];
          },
        },
      },
      axes: [{ stroke: '#222' }, { stroke: '#222', size: 56 }],
      series: [
        {},
        ...ids.map((id, i) => ({
          label: this.#labels.get(id) ?? id,
          stroke: COLORS[i % COLORS.length]!,
          dash: DASHES[Math.floor(i / COLORS.length + i) % DASHES.length]!,
          width: 2,
          spanGaps: false,
          points: { show: true, size: 4 },
        })),
      ],
    };
  }

  #sizeAll(): void {
    for (const chart of this.#charts) {
      chart.plot?.setSize({ width: Math.max(240, chart.figure.clientWidth - 16), height: 180 });
    }
  }
}
