/**
 * An OpenFeature provider (`@openfeature/server-sdk`) over Plexus flags, so applications code
 * against the standard API — `OpenFeature.setProviderAndWait(new PlexusFlagProvider(plexus.flags))`,
 * then `OpenFeature.getClient().getBooleanValue('new-ui', false, { targetingKey: userId, roles })`.
 *
 * Context: `targetingKey` (or `userId`) is the user, `roles` a list of role names. Values:
 * boolean → whether the flag is on; string → the variant's value when a string, else its name;
 * number and object → the variant's value, which must have that type (else TYPE_MISMATCH). A flag
 * that is off answers the default value. Reasons are Plexus's (STATIC, DEFAULT, TARGETING_MATCH,
 * SPLIT, DISABLED); an unknown flag is FLAG_NOT_FOUND and a malformed context INVALID_CONTEXT,
 * which the SDK reports with reason ERROR and the default value. A change to any flag on any
 * instance emits PROVIDER_CONFIGURATION_CHANGED with the flag's name.
 */
import {
  type EvaluationContext,
  FlagNotFoundError,
  InvalidContextError,
  type JsonValue,
  OpenFeatureEventEmitter,
  type Provider,
  ProviderEvents,
  type ResolutionDetails,
  TypeMismatchError,
} from '@openfeature/server-sdk';
import type { Settings } from '../settings/settings.js';
import type { FlagContext, FlagResult } from './evaluate.js';
import { FLAGS_COLLECTION, type Flags } from './flags.js';

export class PlexusFlagProvider implements Provider {
  readonly metadata = { name: 'plexus' } as const;
  readonly runsOn = 'server' as const;
  readonly events = new OpenFeatureEventEmitter();
  readonly #flags: Flags;
  #unsubscribe: (() => void) | undefined;

  /** `settings` (plexus.settings), when given, turns flag changes into configuration-changed events. */
  constructor(flags: Flags, settings?: Settings) {
    this.#flags = flags;
    this.#unsubscribe = settings?.onChange((change) => {
      if (change.collection === FLAGS_COLLECTION) {
        this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: [change.key] });
      }
    });
  }

  async onClose(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  async resolveBooleanEvaluation(
    flagKey: string,
    _defaultValue: boolean,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<boolean>> {
    const result = await this.#evaluate(flagKey, context);
    return details(result, result.enabled);
  }

  async resolveStringEvaluation(
    flagKey: string,
    defaultValue: string,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<string>> {
    const result = await this.#evaluate(flagKey, context);
    if (!result.enabled) return details(result, defaultValue);
    if (result.variant === undefined) throw new TypeMismatchError(`Flag ${flagKey} has no variants`);
    return details(result, typeof result.value === 'string' ? result.value : result.variant);
  }

  async resolveNumberEvaluation(
    flagKey: string,
    defaultValue: number,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<number>> {
    const result = await this.#evaluate(flagKey, context);
    if (!result.enabled) return details(result, defaultValue);
    if (typeof result.value !== 'number')
      throw new TypeMismatchError(`Flag ${flagKey}'s variant is not a number`);
    return details(result, result.value);
  }

  async resolveObjectEvaluation<T extends JsonValue>(
    flagKey: string,
    defaultValue: T,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<T>> {
    const result = await this.#evaluate(flagKey, context);
    if (!result.enabled) return details(result, defaultValue);
    const value = result.value;
    if (typeof value !== 'object' || value === null) {
      throw new TypeMismatchError(`Flag ${flagKey}'s variant is not an object`);
    }
    return details(result, value as T);
  }

  async #evaluate(flagKey: string, context: EvaluationContext): Promise<FlagResult> {
    const now = this.#flags.evaluateNow(flagKey, toFlagContext(context));
    const result = now ?? (await this.#flags.evaluate(flagKey, toFlagContext(context)));
    if (result.errorCode === 'FLAG_NOT_FOUND') throw new FlagNotFoundError(`No flag named ${flagKey}`);
    return result;
  }
}

function details<T>(result: FlagResult, value: T): ResolutionDetails<T> {
  return result.variant === undefined
    ? { value, reason: result.reason }
    : { value, reason: result.reason, variant: result.variant };
}

/** `targetingKey` (or `userId`) and `roles` of an OpenFeature evaluation context. */
export function toFlagContext(context: EvaluationContext): FlagContext {
  const user = context.targetingKey ?? context.userId;
  if (user !== undefined && typeof user !== 'string')
    throw new InvalidContextError('targetingKey must be a string');
  const roles = context.roles;
  if (roles !== undefined && (!Array.isArray(roles) || roles.some((r) => typeof r !== 'string'))) {
    throw new InvalidContextError('roles must be a list of strings');
  }
  return { userId: user, roles: roles as readonly string[] | undefined };
}
