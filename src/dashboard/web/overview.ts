/**
 * Servers → instances as a table: each state written as a word with a symbol (never colour
 * alone), dead and stale rows marked, and a button per instance that expands its details.
 */
import { formatBytes, formatNumber, formatTime, formatUptime, h } from './dom.js';
import type { DashboardDocument, InstanceRow, InstanceState } from './types.js';

const STATE_LABEL: Record<InstanceState, string> = {
  running: '● running',
  stale: '⚠ stale',
  stopping: '◌ stopping',
  errored: '✖ errored',
  stopped: '■ stopped',
  dead: '✖ dead',
};

const COLUMNS = [
  'Instance',
  'State',
  'Version',
  'Uptime',
  'CPU %',
  'Memory (RSS)',
  'Event loop p99 (ms)',
  'Requests/s',
  'Errors/min',
  'p99 (ms)',
  'WebSockets',
  'Redis',
  'Last report',
];

export class Overview {
  readonly #expanded = new Set<string>();

  constructor(
    private readonly servers: HTMLElement,
    private readonly totals: HTMLElement,
  ) {}

  render(doc: DashboardDocument): void {
    const instances = doc.servers.flatMap((s) => s.instances);
    const live = instances.filter((i) => i.state === 'running').length;
    this.totals.textContent =
      `${doc.servers.length} server${doc.servers.length === 1 ? '' : 's'}, ` +
      `${instances.length} instance${instances.length === 1 ? '' : 's'} (${live} running)` +
      (doc.source === 'local' ? ' — this instance only: Redis is out of reach' : '');
    const focused = document.activeElement?.id;
    this.servers.replaceChildren(
      ...doc.servers.map((server) => {
        const table = h(
          'table',
          { class: 'instances' },
          h(
            'caption',
            {},
            `Server ${server.serverName}`,
            server.restarts > 0 ? ` — ${server.restarts} instance(s) died in the last hour` : '',
          ),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, 'Details'),
              ...COLUMNS.map((c) => h('th', { scope: 'col' }, c)),
            ),
          ),
          h('tbody', {}, ...server.instances.flatMap((row) => this.#rows(row, doc))),
        );
        return h(
          'div',
          { class: 'table-wrap', role: 'region', 'aria-label': `Server ${server.serverName}`, tabindex: '0' },
          table,
        );
      }),
    );
    if (focused) document.getElementById(focused)?.focus();
  }

  #rows(row: InstanceRow, doc: DashboardDocument): HTMLTableRowElement[] {
    const detailsId = `details-${cssId(row.id)}`;
    const open = this.#expanded.has(row.id);
    const toggle = h(
      'button',
      {
        type: 'button',
        id: `toggle-${cssId(row.id)}`,
        'aria-expanded': open ? 'true' : 'false',
        'aria-controls': detailsId,
        'aria-label': `Details of instance ${row.pid} (${row.id})`,
        disabled: row.details === null,
      },
      open ? '▾' : '▸',
    );
    toggle.addEventListener('click', () => {
      if (this.#expanded.has(row.id)) this.#expanded.delete(row.id);
      else this.#expanded.add(row.id);
      this.render(doc);
    });
    const here = row.id === doc.answeredBy ? ' (answering)' : '';
    const main = h(
      'tr',
      { class: `instance state-${row.state}`, 'data-instance': row.id, 'data-state': row.state },
      h('td', {}, toggle),
      h(
        'th',
        { scope: 'row' },
        h('span', { class: 'pid' }, `pid ${row.pid}`),
        h('span', { class: 'id' }, row.id + here),
      ),
      h('td', { class: 'state' }, STATE_LABEL[row.state], row.statusReason ? ` (${row.statusReason})` : ''),
      h('td', {}, row.version),
      h('td', {}, formatUptime(row.uptimeSeconds)),
      h('td', { class: 'num' }, formatNumber(row.cpuPercent)),
      h('td', { class: 'num' }, formatBytes(row.rssBytes)),
      h('td', { class: 'num' }, formatNumber(row.eventLoopP99Ms)),
      h('td', { class: 'num' }, formatNumber(row.requestsPerSec)),
      h('td', { class: 'num' }, formatNumber(row.errorsPerMin)),
      h('td', { class: 'num' }, formatNumber(row.latencyP99Ms)),
      h('td', { class: 'num' }, formatNumber(row.wsConnections, 0)),
      h('td', {}, row.redisState ?? '–'),
      h('td', {}, formatTime(row.lastSeen)),
    );
    if (!open || row.details === null) return [main];
    const details = h(
      'tr',
      { class: 'details', id: detailsId },
      h('td', { colspan: String(COLUMNS.length + 1) }, describe(row.details)),
    );
    return [main, details];
  }
}

function describe(details: Record<string, unknown>): HTMLElement {
  return h(
    'dl',
    { class: 'details-list' },
    ...Object.entries(details).flatMap(([key, value]) => [
      h('dt', {}, key),
      h(
        'dd',
        {},
        typeof value === 'object' && value !== null
          ? h('pre', {}, JSON.stringify(value, null, 1))
          : String(value),
      ),
    ]),
  );
}

function cssId(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, '_');
}
