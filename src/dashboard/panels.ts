/**
 * Dashboard panels: the registration seam. A module or an application adds a panel with
 * `addDashboardPanel(plexus, panel)` (from its `create`, with the core it receives, or on a
 * Plexus); the page renders every panel generically from the `PanelView` it returns — figures, a
 * table, expandable details — and offers its actions as forms whose answers the page shows. Actions
 * go through one admin route that checks the CSRF token, so a panel never handles that itself.
 */
import type { PlexusCore } from '../application/definition.js';
import { DashboardError } from './errors.js';
import type { PanelAction, PanelAnswer, PanelView } from './shapes.js';

export type { Cell, PanelAction, PanelAnswer, PanelView } from './shapes.js';

export interface DashboardPanel {
  /** Lower case letters, digits and dashes; unique. */
  id: string;
  title: string;
  /** How long an answer of `read` is reused, in ms (the page polls every second). Default 5000. */
  refreshMs?: number;
  read(): PanelView | Promise<PanelView>;
  actions?: PanelAction[];
  /** Runs an action; the answer is shown under the panel, which is read again afterwards. */
  act?(action: string, value: string): PanelView | Promise<PanelView>;
}

const PANEL_ID = /^[a-z0-9][a-z0-9-]{0,39}$/;

export class PanelRegistry {
  readonly #panels = new Map<string, DashboardPanel>();
  /** The core's panels, shown first whatever the order of registration (applications register earlier). */
  readonly #core = new Set<string>();
  readonly #memo = new Map<string, { at: number; answer: PanelAnswer }>();

  add(panel: DashboardPanel, options: { core?: boolean } = {}): void {
    if (!PANEL_ID.test(panel.id)) {
      throw new DashboardError(
        'DASHBOARD_INVALID_ARGUMENT',
        `dashboard panel id ${JSON.stringify(panel.id)} is invalid`,
      );
    }
    if (this.#panels.has(panel.id)) {
      throw new DashboardError(
        'DASHBOARD_INVALID_ARGUMENT',
        `dashboard panel ${panel.id} is already registered`,
      );
    }
    this.#panels.set(panel.id, panel);
    if (options.core === true) this.#core.add(panel.id);
  }

  /** Panel ids in the order they are shown: the core's, then the others as registered. */
  ids(): string[] {
    const ids = [...this.#panels.keys()];
    return [...ids.filter((id) => this.#core.has(id)), ...ids.filter((id) => !this.#core.has(id))];
  }

  /** Every panel's view, each reused for its refresh time; a failing panel says why instead. */
  async read(now = Date.now()): Promise<PanelAnswer[]> {
    return Promise.all(
      this.ids().map(async (id) => {
        const panel = this.#panels.get(id)!;
        const memo = this.#memo.get(panel.id);
        if (memo !== undefined && now - memo.at < (panel.refreshMs ?? 5000)) return memo.answer;
        const answer = await this.#answer(panel, () => panel.read());
        this.#memo.set(panel.id, { at: now, answer });
        return answer;
      }),
    );
  }

  async act(id: string, action: string, value: string): Promise<PanelAnswer> {
    const panel = this.#panels.get(id);
    const declared = panel?.actions?.find((a) => a.id === action);
    if (panel?.act === undefined || declared === undefined) {
      throw new DashboardError('DASHBOARD_NOT_FOUND', `No action ${action} on dashboard panel ${id}`);
    }
    if (
      declared.input === undefined
        ? value !== ''
        : value.length === 0 || value.length > declared.input.maxLength
    ) {
      throw new DashboardError(
        'DASHBOARD_INVALID_ARGUMENT',
        `Action ${action} takes ${declared.input ? 'a value' : 'no value'}`,
      );
    }
    this.#memo.delete(id);
    return this.#answer(panel, () => panel.act!(action, value), true);
  }

  async #answer(
    panel: DashboardPanel,
    view: () => PanelView | Promise<PanelView>,
    rethrow = false,
  ): Promise<PanelAnswer> {
    const base = { id: panel.id, title: panel.title, actions: panel.actions ?? [] };
    try {
      return { ...base, ...(await view()) };
    } catch (error) {
      if (rethrow) throw error;
      return { ...base, error: error instanceof Error ? error.message : String(error) };
    }
  }
}

/** One registry per Plexus, keyed by its instance registry (shared by the facade and the core). */
const registries = new WeakMap<object, PanelRegistry>();

export function dashboardPanels(plexus: Pick<PlexusCore, 'instances'>): PanelRegistry {
  let registry = registries.get(plexus.instances);
  if (registry === undefined) {
    registry = new PanelRegistry();
    registries.set(plexus.instances, registry);
  }
  return registry;
}

/** Adds a panel to the dashboard of this Plexus (the seam for modules and applications). */
export function addDashboardPanel(plexus: Pick<PlexusCore, 'instances'>, panel: DashboardPanel): void {
  dashboardPanels(plexus).add(panel);
}
