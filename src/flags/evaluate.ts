/**
 * A flag compiled for evaluation: sets for the audiences, cumulative variant bounds, and every
 * answer it can give built once, so that `evaluate` reads the context and returns one of them —
 * no allocation per call.
 *
 * Order: kill switch → deny list → allow list → on/off → rollout → variant.
 * - killed: off for everyone (DISABLED).
 * - deny (user or any role): off (TARGETING_MATCH).
 * - allow (user or any role): on (TARGETING_MATCH), even when `enabled` is false.
 * - not enabled: off (DISABLED).
 * - rollout below 100: a user whose bucket (hash.ts) is under it is on (SPLIT), the others off
 *   (SPLIT); without a user id nobody can be kept sticky, so off (DEFAULT).
 * - on with variants: the variant by a second, independent bucket (SPLIT; DEFAULT without a
 *   user: the first variant); on without variants: STATIC when everyone gets it, else SPLIT.
 */
import type { JsonValue } from '../settings/types.js';
import type { FlagDefinition } from './definition.js';
import { BUCKETS, bucket } from './hash.js';

export type FlagReason = 'STATIC' | 'DEFAULT' | 'TARGETING_MATCH' | 'SPLIT' | 'DISABLED' | 'ERROR';

/** Who is asking. */
export interface FlagContext {
  userId?: string | undefined;
  roles?: readonly string[] | undefined;
}

export interface FlagResult {
  readonly flag: string;
  readonly enabled: boolean;
  /** The variant's name, when the flag has variants and is on. */
  readonly variant: string | undefined;
  /** The variant's value (its name when it has none); `enabled` when the flag has no variants. */
  readonly value: JsonValue;
  readonly reason: FlagReason;
  /** Set with reason ERROR. */
  readonly errorCode: 'FLAG_NOT_FOUND' | undefined;
  /** Version of the definition that answered (0 when none). */
  readonly version: number;
}

const ROLLOUT_SALT = 0x52; // 'R'
const VARIANT_SALT = 0x56; // 'V'

interface CompiledVariant {
  upTo: number;
  split: FlagResult;
  targeted: FlagResult;
  fallback: FlagResult;
}

function result(
  flag: string,
  version: number,
  enabled: boolean,
  reason: FlagReason,
  variant?: { name: string; value?: JsonValue },
): FlagResult {
  return Object.freeze({
    flag,
    enabled,
    variant: variant?.name,
    value: variant === undefined ? enabled : (variant.value ?? variant.name),
    reason,
    errorCode: undefined,
    version,
  });
}

/** The answer for a flag that does not exist. */
export function notFound(flag: string): FlagResult {
  return Object.freeze({
    flag,
    enabled: false,
    variant: undefined,
    value: false,
    reason: 'ERROR',
    errorCode: 'FLAG_NOT_FOUND',
    version: 0,
  });
}

export class CompiledFlag {
  readonly name: string;
  readonly version: number;
  readonly definition: FlagDefinition;
  readonly #killed: boolean;
  readonly #enabled: boolean;
  readonly #rollout: number;
  readonly #allowUsers: ReadonlySet<string>;
  readonly #allowRoles: ReadonlySet<string>;
  readonly #denyUsers: ReadonlySet<string>;
  readonly #denyRoles: ReadonlySet<string>;
  readonly #variants: readonly CompiledVariant[];
  readonly #disabled: FlagResult;
  readonly #denied: FlagResult;
  readonly #targeted: FlagResult;
  readonly #splitOn: FlagResult;
  readonly #splitOff: FlagResult;
  readonly #anonymousOff: FlagResult;
  readonly #static: FlagResult;

  constructor(name: string, version: number, definition: FlagDefinition) {
    this.name = name;
    this.version = version;
    this.definition = definition;
    this.#killed = definition.killed === true;
    this.#enabled = definition.enabled;
    this.#rollout = Math.round((definition.rollout ?? 100) * (BUCKETS / 100));
    this.#allowUsers = new Set(definition.allow?.users ?? []);
    this.#allowRoles = new Set(definition.allow?.roles ?? []);
    this.#denyUsers = new Set(definition.deny?.users ?? []);
    this.#denyRoles = new Set(definition.deny?.roles ?? []);
    let upTo = 0;
    this.#variants = (definition.variants ?? []).map((v) => {
      upTo += v.weight * (BUCKETS / 100);
      return {
        upTo,
        split: result(name, version, true, 'SPLIT', v),
        targeted: result(name, version, true, 'TARGETING_MATCH', v),
        fallback: result(name, version, true, 'DEFAULT', v),
      };
    });
    this.#disabled = result(name, version, false, 'DISABLED');
    this.#denied = result(name, version, false, 'TARGETING_MATCH');
    this.#targeted = result(name, version, true, 'TARGETING_MATCH');
    this.#splitOn = result(name, version, true, 'SPLIT');
    this.#splitOff = result(name, version, false, 'SPLIT');
    this.#anonymousOff = result(name, version, false, 'DEFAULT');
    this.#static = result(name, version, true, this.#rollout >= BUCKETS ? 'STATIC' : 'SPLIT');
  }

  evaluate(context: FlagContext): FlagResult {
    if (this.#killed) return this.#disabled;
    const user = context.userId;
    const roles = context.roles;
    if (matches(this.#denyUsers, this.#denyRoles, user, roles)) return this.#denied;
    if (matches(this.#allowUsers, this.#allowRoles, user, roles)) {
      return this.#variants.length === 0 ? this.#targeted : this.#variant(user, 'targeted');
    }
    if (!this.#enabled) return this.#disabled;
    if (this.#rollout < BUCKETS) {
      if (user === undefined) return this.#anonymousOff;
      if (bucket(this.name, ROLLOUT_SALT, user) >= this.#rollout) return this.#splitOff;
      return this.#variants.length === 0 ? this.#splitOn : this.#variant(user, 'split');
    }
    return this.#variants.length === 0 ? this.#static : this.#variant(user, 'split');
  }

  #variant(user: string | undefined, kind: 'split' | 'targeted'): FlagResult {
    const variants = this.#variants;
    if (user === undefined) return variants[0]!.fallback;
    const b = bucket(this.name, VARIANT_SALT, user);
    for (let i = 0; i < variants.length; i++) {
      const v = variants[i]!;
      if (b < v.upTo) return kind === 'split' ? v.split : v.targeted;
    }
    return kind === 'split' ? variants[variants.length - 1]!.split : variants[variants.length - 1]!.targeted;
  }
}

function matches(
  users: ReadonlySet<string>,
  roles: ReadonlySet<string>,
  user: string | undefined,
  userRoles: readonly string[] | undefined,
): boolean {
  if (user !== undefined && users.size > 0 && users.has(user)) return true;
  if (userRoles !== undefined && roles.size > 0) {
    for (let i = 0; i < userRoles.length; i++) if (roles.has(userRoles[i]!)) return true;
  }
  return false;
}
