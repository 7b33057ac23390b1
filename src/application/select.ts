/**
 * `PLEXUS_APPS`: which of a catalogue's applications the reference server and the CLI install.
 * Unset installs the whole catalogue; empty installs none; otherwise the named ones, in the
 * catalogue's order. An unknown name stops startup, naming the applications there are.
 */
import { ConfigError } from '../errors.js';
import type { AnyAppDefinition } from './definition.js';

export function selectApps(
  catalogue: readonly AnyAppDefinition[],
  names: readonly string[] | undefined,
): AnyAppDefinition[] {
  if (names === undefined) return [...catalogue];
  const known = new Set(catalogue.map((d) => d.name));
  for (const name of names) {
    if (!known.has(name)) {
      const available = catalogue.map((d) => d.name).join(', ') || '(none)';
      throw new ConfigError('PLEXUS_APPS', `no application "${name}"; available: ${available}`);
    }
  }
  return catalogue.filter((d) => names.includes(d.name));
}
