/**
 * The realtime panel: every endpoint (in code or defined at runtime) with its connect rule and its
 * cluster-wide figures — users, connections, rooms, instances, messages per second (from the
 * difference of the message totals between two reads) — and actions to define or remove a runtime
 * endpoint (as `PUT`/`DELETE /api/1/admin/ws/endpoints/:name` do).
 */
import type { PlexusCore } from '../application/definition.js';
import type { ConnectRule } from '../realtime/index.js';
import { DashboardError } from './errors.js';
import type { DashboardPanel, PanelView } from './panels.js';

const connectText = (rule: ConnectRule) => (typeof rule === 'string' ? rule : `role ${rule.role}`);

/** `name`, `name anyone`, `name signed-in` or `name role:<role>`. */
function parseDefinition(value: string): { name: string; connect: ConnectRule } {
  const [name, rule = 'anyone', ...rest] = value.trim().split(/\s+/);
  let connect: ConnectRule | undefined;
  if (rule === 'anyone' || rule === 'signed-in') connect = rule;
  else if (/^role:[A-Za-z0-9_.-]{1,64}$/.test(rule)) connect = { role: rule.slice(5) };
  if (name === undefined || name === '' || connect === undefined || rest.length > 0) {
    throw new DashboardError(
      'DASHBOARD_INVALID_ARGUMENT',
      'Give the name and who may connect: anyone, signed-in or role:<role> (e.g. "alerts signed-in")',
    );
  }
  return { name, connect };
}

export function realtimePanel(plexus: PlexusCore): DashboardPanel {
  const { realtime } = plexus;
  let previous: { at: number; totals: Map<string, number> } | undefined;
  const read = async (): Promise<PanelView> => {
    const [stats, runtime] = await Promise.all([realtime.stats(), realtime.runtime.list()]);
    const policies = new Map(realtime.list().map((p) => [p.name, p]));
    const now = Date.now();
    const totals = new Map(stats.map((s) => [s.endpoint, s.messagesIn + s.messagesOut]));
    const rate = (endpoint: string) => {
      const before = previous?.totals.get(endpoint);
      if (previous === undefined || before === undefined || now <= previous.at) return null;
      return Math.round(((totals.get(endpoint)! - before) / ((now - previous.at) / 1000)) * 10) / 10;
    };
    const rows = stats
      .sort((a, b) => (a.endpoint < b.endpoint ? -1 : 1))
      .map((s) => {
        const policy = policies.get(s.endpoint);
        return [
          s.endpoint,
          policy?.source ?? null,
          policy === undefined ? null : connectText(policy.connect),
          s.users,
          s.connections,
          s.rooms,
          s.instances,
          rate(s.endpoint),
        ];
      });
    previous = { at: now, totals };
    return {
      summary: [
        { label: 'Endpoints', value: stats.length },
        { label: 'Defined at runtime', value: runtime.length },
        { label: 'Connections (cluster)', value: stats.reduce((n, s) => n + s.connections, 0) },
        { label: 'Connections (this instance)', value: realtime.localStats().connections },
        { label: 'Channel layout', value: realtime.layout },
      ],
      table: {
        caption: 'Endpoints (cluster-wide; messages per second since the previous read)',
        columns: [
          'Endpoint',
          'Defined in',
          'Who may connect',
          'Users',
          'Connections',
          'Rooms',
          'Instances',
          'Messages/s',
        ],
        rows,
      },
    };
  };
  return {
    id: 'realtime',
    title: 'Realtime',
    refreshMs: 2000,
    read,
    actions: [
      {
        id: 'define',
        label: 'Define an endpoint',
        input: { label: 'Name and who may connect (anyone, signed-in, role:<role>)', maxLength: 140 },
      },
      {
        id: 'remove',
        label: 'Remove a runtime endpoint',
        input: { label: 'Name', maxLength: 64 },
        confirm: 'Remove this endpoint? Its connections are closed on every instance.',
      },
    ],
    async act(action, value) {
      if (action === 'define') {
        const { name, connect } = parseDefinition(value);
        await realtime.runtime.put(name, { connect });
        return { ...(await read()), note: `Endpoint ${name} defined (${connectText(connect)}).` };
      }
      const removed = await realtime.runtime.remove(value.trim());
      if (!removed) throw new DashboardError('DASHBOARD_NOT_FOUND', `No runtime endpoint ${value}`);
      return { ...(await read()), note: `Endpoint ${value} removed.` };
    },
  };
}
