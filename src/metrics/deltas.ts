/** Counts kept in process until they are flushed: field → amount. */
export type Deltas = Map<string, number>;

export function add(map: Deltas, key: string, by: number): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

export function merge(into: Deltas, from: Deltas): void {
  for (const [key, by] of from) add(into, key, by);
}

/** The non-zero deltas as script arguments: field, delta, field, delta, ... */
export function pairs(deltas: Deltas): (string | number)[] {
  const out: (string | number)[] = [];
  for (const [field, delta] of deltas) if (delta !== 0) out.push(field, delta);
  return out;
}

/** As a JSON object with its fields in code-point order, so documents compare stably. */
export function sorted(map: Deltas): Record<string, number> {
  return Object.fromEntries([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
