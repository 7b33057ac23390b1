/**
 * What a feature flag is, as stored (the JSON value of `features/<name>` in the configuration
 * values), and the one check every definition passes before it is stored: anything else is
 * refused with a stable code and nothing is written.
 */
import type { JsonValue } from '../settings/types.js';
import { FlagError } from './errors.js';

export interface Audience {
  /** User ids. */
  users?: string[];
  /** Role names (accounts' roles). */
  roles?: string[];
}

export interface Variant {
  name: string;
  /** Whole percent; the variants' weights add up to 100. */
  weight: number;
  /** Served by typed evaluations (OpenFeature's number, string, object); the name when absent. */
  value?: JsonValue;
}

export interface FlagDefinition {
  /** On for the general audience (rollout, variants); off leaves only the allow list on. */
  enabled: boolean;
  /** Kill switch: off for everyone, allow list included, whatever the rest says. */
  killed?: boolean;
  /** Percent of users (0–100, two decimals) on, by a stable hash of flag and user. @default 100 */
  rollout?: number;
  /** Always on for these (unless killed or denied). */
  allow?: Audience;
  /** Always off for these (unless killed). */
  deny?: Audience;
  variants?: Variant[];
  description?: string;
}

export const FLAG_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const VARIANT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const MAX_AUDIENCE = 10_000;
const MAX_ID_LENGTH = 200;
const MAX_VARIANTS = 20;
const MAX_DESCRIPTION = 1_000;
const FIELDS = new Set(['enabled', 'killed', 'rollout', 'allow', 'deny', 'variants', 'description']);

export function checkFlagName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !FLAG_NAME.test(name)) {
    throw new FlagError(
      'FLAG_INVALID_NAME',
      'A flag name is 1 to 64 letters, digits, dots, dashes or underscores',
      {
        details: { name: String(name).slice(0, 80) },
      },
    );
  }
}

/** The definition, checked; throws FLAG_INVALID_RULE or FLAG_INVALID_WEIGHTS. */
export function parseFlagDefinition(input: unknown): FlagDefinition {
  if (!isObject(input)) rule('the definition must be an object');
  for (const field of Object.keys(input)) if (!FIELDS.has(field)) rule(`unknown field "${field}"`);
  if (typeof input.enabled !== 'boolean') rule('"enabled" must be true or false');
  const flag: FlagDefinition = { enabled: input.enabled };
  if (input.killed !== undefined) {
    if (typeof input.killed !== 'boolean') rule('"killed" must be true or false');
    flag.killed = input.killed;
  }
  if (input.rollout !== undefined) {
    const r = input.rollout;
    if (typeof r !== 'number' || !Number.isFinite(r) || r < 0 || r > 100 || Math.round(r * 100) !== r * 100) {
      rule('"rollout" must be a percentage from 0 to 100 with at most two decimals');
    }
    flag.rollout = r;
  }
  if (input.allow !== undefined) flag.allow = audience(input.allow, 'allow');
  if (input.deny !== undefined) flag.deny = audience(input.deny, 'deny');
  if (input.variants !== undefined) flag.variants = variants(input.variants);
  if (input.description !== undefined) {
    if (typeof input.description !== 'string' || input.description.length > MAX_DESCRIPTION) {
      rule(`"description" must be a string of at most ${MAX_DESCRIPTION} characters`);
    }
    flag.description = input.description;
  }
  return flag;
}

function audience(input: unknown, field: string): Audience {
  if (!isObject(input)) rule(`"${field}" must be an object with "users" and/or "roles"`);
  const out: Audience = {};
  for (const [name, list] of Object.entries(input)) {
    if (name !== 'users' && name !== 'roles') rule(`"${field}" has an unknown field "${name}"`);
    if (!Array.isArray(list) || list.length > MAX_AUDIENCE) {
      rule(`"${field}.${name}" must be a list of at most ${MAX_AUDIENCE} strings`);
    }
    for (const id of list) {
      if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
        rule(
          `"${field}.${name}" holds ${JSON.stringify(id)?.slice(0, 40)}; expected strings of 1 to ${MAX_ID_LENGTH} characters`,
        );
      }
    }
    out[name] = [...new Set(list as string[])];
  }
  return out;
}

function variants(input: unknown): Variant[] {
  if (!Array.isArray(input) || input.length === 0 || input.length > MAX_VARIANTS) {
    rule(`"variants" must be a list of 1 to ${MAX_VARIANTS} variants`);
  }
  const names = new Set<string>();
  let total = 0;
  const out: Variant[] = [];
  for (const v of input) {
    if (!isObject(v)) rule('each variant must be an object { name, weight, value? }');
    for (const field of Object.keys(v)) {
      if (field !== 'name' && field !== 'weight' && field !== 'value')
        rule(`a variant has an unknown field "${field}"`);
    }
    if (typeof v.name !== 'string' || !VARIANT_NAME.test(v.name)) {
      rule('a variant name is 1 to 64 letters, digits, dots, dashes or underscores');
    }
    if (names.has(v.name)) rule(`variant "${v.name}" appears twice`);
    names.add(v.name);
    if (typeof v.weight !== 'number' || !Number.isInteger(v.weight) || v.weight < 0 || v.weight > 100) {
      throw new FlagError(
        'FLAG_INVALID_WEIGHTS',
        `variant "${v.name}": the weight must be a whole number from 0 to 100`,
      );
    }
    total += v.weight;
    out.push(
      v.value === undefined
        ? { name: v.name, weight: v.weight }
        : { name: v.name, weight: v.weight, value: v.value as JsonValue },
    );
  }
  if (total !== 100) {
    throw new FlagError('FLAG_INVALID_WEIGHTS', `the variants' weights add up to ${total}, not 100`, {
      details: { total },
    });
  }
  return out;
}

function rule(message: string): never {
  throw new FlagError('FLAG_INVALID_RULE', `Invalid flag definition: ${message}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
