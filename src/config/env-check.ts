/**
 * The startup check against the silent split: an instance whose Redis variable is misspelt
 * (`REDIS_CLUSTER_NODE`) runs on its defaults, usually alone in memory, while its peers share
 * Redis, and nothing says so. Every variable with a Plexus prefix that no declaration reads is
 * reported with the closest known name, and so is an alias that its option's own variable
 * overrides with a different value (`REDIS_URL` and `REDIS_HOST` pointing at different servers).
 *
 * Known names are every option's variable and aliases in SECTIONS, the refused seed names, and
 * the names an embedding application declares for its own settings (`extra`).
 */
import { REFUSED, SECTIONS } from './index.js';
import { aliasValue, type OptionSpec } from './option.js';

export const CHECKED_PREFIXES = ['REDIS_', 'CACHE_', 'SESSION_', 'PLEXUS_'] as const;

/**
 * Set by Plexus itself, never by users: the URL a cluster primary listens on, in the environment
 * of the workers it hands connections to (src/cli/distributor.ts).
 */
export const HANDOFF_URL_ENV = 'PLEXUS_HANDOFF_URL';

export interface EnvironmentWarning {
  variable: string;
  message: string;
  /** The closest known name, for an unknown variable. */
  suggestion?: string;
}

/** Every variable a Plexus declaration reads, plus `extra`. */
export function knownVariables(extra: readonly string[] = []): Set<string> {
  const names = new Set(extra);
  for (const option of allOptions()) {
    if (option.env !== undefined) names.add(option.env);
    for (const alias of option.aliases ?? []) for (const name of alias.env) names.add(name);
  }
  for (const refused of REFUSED) names.add(refused.env);
  names.add(HANDOFF_URL_ENV);
  return names;
}

export function checkEnvironment(
  env: Record<string, string | undefined>,
  extra: readonly string[] = [],
): EnvironmentWarning[] {
  const known = knownVariables(extra);
  const warnings: EnvironmentWarning[] = [];
  for (const variable of Object.keys(env).sort()) {
    if (!CHECKED_PREFIXES.some((prefix) => variable.startsWith(prefix)) || known.has(variable)) continue;
    const suggestion = closest(variable, known);
    warnings.push({
      variable,
      message: `${variable} is not a Plexus setting and is ignored${suggestion === undefined ? '' : `; did you mean ${suggestion}?`}`,
      ...(suggestion === undefined ? {} : { suggestion }),
    });
  }
  for (const option of allOptions()) {
    const overridden = overriddenAlias(option, env);
    if (overridden !== undefined) warnings.push(overridden);
  }
  return warnings;
}

function allOptions(): OptionSpec<unknown>[] {
  return Object.values(SECTIONS).flatMap((section) => Object.values(section));
}

/** An alias set to something else than its option's own variable, which wins. */
function overriddenAlias(
  option: OptionSpec<unknown>,
  env: Record<string, string | undefined>,
): EnvironmentWarning | undefined {
  if (option.env === undefined || env[option.env] === undefined) return undefined;
  const alias = aliasValue(option, env);
  if (alias === undefined) return undefined;
  const differs = (() => {
    try {
      const own = option.parse(env[option.env], option.env);
      return JSON.stringify(option.parse(alias.raw, alias.setting)) !== JSON.stringify(own);
    } catch {
      return true; // One of them is malformed: they certainly do not say the same thing.
    }
  })();
  if (!differs) return undefined;
  return {
    variable: alias.setting,
    message: `${alias.setting} is ignored: ${option.env} is also set, to something else, and wins`,
  };
}

/**
 * The known name nearest to `name`, among those with the same prefix when there are any: a
 * `CACHE_` variable is a cache setting misspelt, even if a `QR_CACHE_` name is a little closer.
 */
function closest(name: string, known: Set<string>): string | undefined {
  const prefix = CHECKED_PREFIXES.find((p) => name.startsWith(p))!;
  const samePrefix = [...known].filter((candidate) => candidate.startsWith(prefix));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of samePrefix.length > 0 ? samePrefix : known) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance: insertions, deletions and substitutions each cost 1. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
