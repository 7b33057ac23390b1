/** Building DOM nodes without innerHTML: text is always text, never markup. */
type Attrs = Record<string, string | boolean | undefined>;
type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'object' ? child : String(child));
  }
  return el;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`#${id} is missing from the page`);
  return el as T;
}

export function formatBytes(bytes: number | null): string {
  if (bytes === null) return '–';
  const mb = bytes / 1024 / 1024;
  return mb >= 1024 ? `${(mb / 1024).toFixed(2)} GB` : `${mb.toFixed(1)} MB`;
}

export function formatNumber(n: number | null, digits = 1): string {
  return n === null ? '–' : Number.isInteger(n) ? String(n) : n.toFixed(digits);
}

export function formatUptime(seconds: number | null): string {
  if (seconds === null) return '–';
  const d = Math.floor(seconds / 86_400);
  const hh = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return d > 0 ? `${d}d ${hh}h` : hh > 0 ? `${hh}h ${m}m` : m > 0 ? `${m}m ${s}s` : `${s}s`;
}

export function formatTime(ms: number): string {
  return new Date(ms).toLocaleTimeString();
}
