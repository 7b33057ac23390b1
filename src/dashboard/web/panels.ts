/**
 * Renders every panel from its view: figures (with a word for their tone), a table, expandable
 * details, and the panel's actions as small forms. An action's answer replaces the panel until the
 * next refresh brings a newer one, and any message is announced to screen readers.
 */
import type { Api } from './api.js';
import { h } from './dom.js';
import type { Cell, PanelAction, PanelAnswer } from './types.js';

const TONE_WORD = { ok: '✓ ok', warn: '⚠ warning', bad: '✖ problem' } as const;

export class Panels {
  readonly #sections = new Map<string, HTMLElement>();
  readonly #bodies = new Map<string, HTMLElement>();
  readonly #messages = new Map<string, HTMLElement>();
  /** An action's answer, shown instead of the polled view until this time. */
  readonly #pinned = new Map<string, { until: number; answer: PanelAnswer }>();
  readonly #openDetails = new Set<string>();

  constructor(
    private readonly container: HTMLElement,
    private readonly api: Api,
  ) {}

  render(panels: PanelAnswer[]): void {
    for (const panel of panels) {
      const pinned = this.#pinned.get(panel.id);
      const shown = pinned !== undefined && pinned.until > Date.now() ? pinned.answer : panel;
      this.#section(panel).replaceChildren(...this.#view(shown));
    }
  }

  #section(panel: PanelAnswer): HTMLElement {
    let body = this.#bodies.get(panel.id);
    if (body !== undefined) return body;
    const titleId = `panel-${panel.id}-title`;
    body = h('div', { class: 'panel-body' });
    const message = h('p', { class: 'panel-message', role: 'status', 'aria-live': 'polite' });
    const section = h(
      'section',
      { class: 'card panel', id: `panel-${panel.id}`, 'aria-labelledby': titleId },
      h('h3', { id: titleId }, panel.title),
      body,
      ...panel.actions.map((action) => this.#form(panel.id, action)),
      message,
    );
    this.container.append(section);
    this.#sections.set(panel.id, section);
    this.#bodies.set(panel.id, body);
    this.#messages.set(panel.id, message);
    return body;
  }

  #view(panel: PanelAnswer): Node[] {
    const nodes: Node[] = [];
    if (panel.error) nodes.push(h('p', { class: 'error' }, `✖ Could not read this panel: ${panel.error}`));
    if (panel.summary?.length) {
      nodes.push(
        h(
          'dl',
          { class: 'summary' },
          ...panel.summary.flatMap((s) => [
            h('dt', {}, s.label),
            h(
              'dd',
              { class: s.tone ? `tone-${s.tone}` : undefined },
              show(s.value),
              s.tone ? ` (${TONE_WORD[s.tone]})` : '',
            ),
          ]),
        ),
      );
    }
    const table = panel.table;
    if (table) {
      const action = table.rowAction;
      nodes.push(
        h(
          'div',
          { class: 'table-wrap', role: 'region', 'aria-label': table.caption, tabindex: '0' },
          h(
            'table',
            {},
            h('caption', {}, table.caption),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ...table.columns.map((c) => h('th', { scope: 'col' }, c)),
                action ? h('th', { scope: 'col' }, 'Action') : null,
              ),
            ),
            h(
              'tbody',
              {},
              ...(table.rows.length === 0
                ? [h('tr', {}, h('td', { colspan: String(table.columns.length + (action ? 1 : 0)) }, 'None'))]
                : table.rows.map((row) =>
                    h(
                      'tr',
                      {},
                      ...row.map((cell, i) =>
                        i === 0 ? h('th', { scope: 'row' }, show(cell)) : h('td', {}, show(cell)),
                      ),
                      action ? h('td', {}, this.#rowButton(panel, action, String(row[action.column]))) : null,
                    ),
                  )),
            ),
          ),
        ),
      );
    }
    if (panel.details?.length) {
      nodes.push(
        h(
          'div',
          { class: 'details-group' },
          ...panel.details.map((d) => {
            const key = `${panel.id}:${d.title}`;
            const el = h(
              'details',
              { open: this.#openDetails.has(key) },
              h('summary', {}, d.title),
              h('pre', {}, d.body),
            );
            el.addEventListener('toggle', () => {
              if (el.open) this.#openDetails.add(key);
              else this.#openDetails.delete(key);
            });
            return el;
          }),
        ),
      );
    }
    if (panel.note) nodes.push(h('p', { class: 'note' }, panel.note));
    return nodes;
  }

  #rowButton(panel: PanelAnswer, rowAction: { action: string; label: string }, value: string): HTMLElement {
    const declared = panel.actions.find((a) => a.id === rowAction.action);
    const button = h(
      'button',
      { type: 'button', 'aria-label': `${rowAction.label} ${value}` },
      rowAction.label,
    );
    button.addEventListener('click', () => void this.#run(panel.id, declared, rowAction.action, value));
    return button;
  }

  #form(panelId: string, action: PanelAction): HTMLElement {
    const inputId = `action-${panelId}-${action.id}`;
    const form = h('form', { class: 'action', 'aria-label': action.label });
    if (action.input) {
      form.append(
        h('label', { for: inputId }, action.input.label),
        h('input', { id: inputId, name: 'value', required: true, maxlength: String(action.input.maxLength) }),
      );
    }
    form.append(h('button', { type: 'submit' }, action.label));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const input = form.querySelector('input');
      void this.#run(panelId, action, action.id, input?.value.trim() ?? '');
    });
    return form;
  }

  async #run(
    panelId: string,
    declared: PanelAction | undefined,
    action: string,
    value: string,
  ): Promise<void> {
    const message = this.#messages.get(panelId)!;
    if (declared?.input && value === '') {
      message.textContent = `✖ ${declared.input.label} is required.`;
      return;
    }
    if (declared?.confirm && !window.confirm(`${declared.confirm}\n\n${value}`)) return;
    message.textContent = 'Working…';
    try {
      const answer = await this.api.act(panelId, action, value);
      this.#pinned.set(panelId, { until: Date.now() + 15_000, answer });
      this.#bodies.get(panelId)?.replaceChildren(...this.#view(answer));
      message.textContent = `✓ Done${answer.note ? `: ${answer.note}` : '.'}`;
    } catch (error) {
      message.textContent = `✖ ${error instanceof Error ? error.message : String(error)}`;
    }
  }
}

function show(cell: Cell): string {
  return cell === null ? '–' : typeof cell === 'boolean' ? (cell ? 'yes' : 'no') : String(cell);
}
