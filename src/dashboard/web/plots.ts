/**
 * The last hour as uPlot charts, one series per instance. Each instance's rows are kept here and
 * extended with the points of every answer; the x axis is the union of the instances' times, put
 * on the history step so that instances sampled a few milliseconds apart share a column.
 * Series differ by dash pattern and name as well as colour, and each chart's caption states the
 * latest value of every instance in words.
 */
import uPlot from 'uplot';
import { h } from './dom.js';
import type { DashboardDocument } from './types.js';

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
  /** Per instance, rows oldest first. */
  readonly #rows = new Map<string, number[][]>();
  readonly #charts: Chart[];
  #fields: readonly string[] = [];
  #windowMs = 3_600_000;
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
    this.#rows.clear();
  }

  /** Latest point time per instance (the next `since` is the smallest, so nobody's points are skipped). */
  since(): number {
    let since = Number.POSITIVE_INFINITY;
    for (const rows of this.#rows.values()) {
      const last = rows[rows.length - 1];
      if (last !== undefined) since = Math.min(since, last[0]!);
    }
    return Number.isFinite(since) ? since : 0;
  }

  update(doc: DashboardDocument): void {
    this.#fields = doc.fields;
    this.#windowMs = doc.windowMs;
    this.#labels = new Map(
      doc.servers.flatMap((s) => s.instances.map((i) => [i.id, `${s.serverName} pid ${i.pid}`] as const)),
    );
    const cutoff = Date.now() - doc.windowMs;
    for (const [id, rows] of Object.entries(doc.history)) {
      const kept = this.#rows.get(id) ?? [];
      const last = kept[kept.length - 1]?.[0] ?? Number.NEGATIVE_INFINITY;
      for (const row of rows) if (row[0]! > last) kept.push(row);
      while (kept.length > 0 && kept[0]![0]! < cutoff) kept.shift();
      this.#rows.set(id, kept);
    }
    for (const id of [...this.#rows.keys()]) if (!this.#labels.has(id)) this.#rows.delete(id);
    const step = doc.stepMs;
    const ids = [...this.#rows.keys()].sort();
    for (const chart of this.#charts) this.#draw(chart, ids, step);
  }

  #draw(chart: Chart, ids: string[], stepMs: number): void {
    const column = this.#fields.indexOf(chart.spec.field);
    const times = new Set<number>();
    for (const id of ids) for (const row of this.#rows.get(id)!) times.add(Math.round(row[0]! / stepMs));
    const xs = [...times].sort((a, b) => a - b);
    const index = new Map(xs.map((x, i) => [x, i]));
    const series: (number | null)[][] = ids.map(() => xs.map(() => null));
    const latest: string[] = [];
    ids.forEach((id, s) => {
      const rows = this.#rows.get(id)!;
      for (const row of rows) {
        const raw = row[column]!;
        series[s]![index.get(Math.round(row[0]! / stepMs))!] = chart.spec.map ? chart.spec.map(raw) : raw;
      }
      const last = rows[rows.length - 1];
      if (last !== undefined) {
        const v = chart.spec.map ? chart.spec.map(last[column]!) : last[column]!;
        latest.push(`${this.#labels.get(id) ?? id}: ${v === null ? 'no data' : `${v} ${chart.spec.unit}`}`);
      }
    });
    const data: uPlot.AlignedData = [xs.map((x) => (x * stepMs) / 1000), ...series];
    chart.figure.dataset.points = String(xs.length);
    chart.caption.textContent = `${chart.spec.title} (${chart.spec.unit}) — latest: ${latest.join('; ') || 'no data yet'}`;
    const key = ids.join(',');
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
