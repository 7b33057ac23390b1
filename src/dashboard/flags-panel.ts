/**
 * The feature flags panel: every flag (on, kill switch, rollout, allow/deny sizes, version, last
 * change), a Toggle button per flag, the rollout of a flag, and a flag's audit trail. Changes go
 * through `plexus.flags` (compare-and-set on the version, audited as `admin dashboard`), so every
 * instance sees them as it sees any flag change.
 */
import type { PlexusCore } from '../application/definition.js';
import type { FlagAudience } from '../flags/index.js';
import { DashboardError } from './errors.js';
import type { DashboardPanel, PanelView } from './panels.js';

const BY = 'admin dashboard';
const iso = (ms: number) => new Date(ms).toISOString();
const size = (audience: FlagAudience | undefined) =>
  (audience?.users?.length ?? 0) + (audience?.roles?.length ?? 0);

export function flagsPanel(plexus: PlexusCore): DashboardPanel {
  const { flags } = plexus;
  const read = async (): Promise<PanelView> => {
    const list = (await flags.list()).sort((a, b) => (a.name < b.name ? -1 : 1));
    return {
      summary: [
        { label: 'Flags', value: list.length },
        { label: 'On', value: list.filter((f) => f.definition.enabled && !f.definition.killed).length },
        {
          label: 'Killed',
          value: list.filter((f) => f.definition.killed).length,
          tone: list.some((f) => f.definition.killed) ? 'warn' : 'ok',
        },
      ],
      table: {
        caption: 'Feature flags',
        columns: ['Flag', 'On', 'Killed', 'Rollout (%)', 'Allow', 'Deny', 'Version', 'Changed', 'By'],
        rows: list.map((f) => [
          f.name,
          f.definition.enabled ? 'on' : 'off',
          f.definition.killed ? 'killed' : 'no',
          f.definition.rollout ?? 100,
          size(f.definition.allow),
          size(f.definition.deny),
          f.version,
          iso(f.updatedAt),
          f.updatedBy,
        ]),
        rowAction: { action: 'toggle', label: 'Toggle', column: 0 },
      },
      ...(list.length === 0 ? { note: 'No flag is defined (PUT /api/1/admin/features/:name).' } : {}),
    };
  };
  return {
    id: 'flags',
    title: 'Feature flags',
    refreshMs: 2000,
    read,
    actions: [
      { id: 'toggle', label: 'Turn a flag on or off', input: { label: 'Flag', maxLength: 64 } },
      {
        id: 'rollout',
        label: 'Set a rollout',
        input: { label: 'Flag and percent (e.g. beta 25)', maxLength: 80 },
        confirm: 'Change the share of users this flag is on for?',
      },
      { id: 'audit', label: "Show a flag's changes", input: { label: 'Flag', maxLength: 64 } },
    ],
    async act(action, value) {
      if (action === 'toggle') {
        const record = await flags.update(value, (d) => ({ ...d, enabled: !d.enabled }), { by: BY });
        return { ...(await read()), note: `${value} is now ${record.definition.enabled ? 'on' : 'off'}.` };
      }
      if (action === 'rollout') {
        const match = /^(\S+)\s+(\d{1,3}(?:\.\d{1,2})?)%?$/.exec(value.trim());
        const percent = match === null ? Number.NaN : Number(match[2]);
        if (match === null || !(percent >= 0 && percent <= 100)) {
          throw new DashboardError(
            'DASHBOARD_INVALID_ARGUMENT',
            'Give the flag and a percent from 0 to 100, e.g. "beta 25"',
          );
        }
        await flags.update(match[1]!, (d) => ({ ...d, rollout: percent }), { by: BY });
        return { ...(await read()), note: `${match[1]} rolls out to ${percent}% of users.` };
      }
      const page = await flags.audit(value, { limit: 20 });
      const state = (side: { version: number; definition: unknown } | null) => {
        if (side === null) return 'absent';
        const d = side.definition as { enabled?: boolean; rollout?: number; killed?: boolean };
        return `v${side.version} ${d.enabled ? 'on' : 'off'}${d.killed ? ' killed' : ''} ${d.rollout ?? 100}%`;
      };
      return {
        ...(await read()),
        table: {
          caption: `Changes of ${value} (newest first, last 20)`,
          columns: ['Time', 'By', 'Action', 'Before', 'After'],
          rows: page.items.map((e) => [iso(e.at), e.actor, e.action, state(e.before), state(e.after)]),
        },
        ...(page.items.length === 0 ? { note: `No change of ${value} is recorded.` } : {}),
      };
    },
  };
}
