/**
 * The error catalogue shared by every Plexus module.
 *
 * Every error Plexus throws is a `PlexusError` with a stable, documented `code` that callers may
 * switch on; the message is for humans and may change. The original error, when there is one, is
 * kept as `cause`. Modules with errors of their own declare them beside the module, extending
 * `PlexusError` the same way, and list their codes in docs/architecture.md.
 */

export interface PlexusErrorOptions {
  cause?: unknown;
  /** Machine-readable context (a setting's name, a key, a limit). Never secrets. */
  details?: Record<string, unknown>;
}

export class PlexusError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown>;

  constructor(code: string, message: string, options: PlexusErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** A setting is missing, malformed or contradicts another. Thrown at startup, naming the setting. */
export class ConfigError extends PlexusError {
  readonly setting: string;
  constructor(setting: string, message: string, options: PlexusErrorOptions = {}) {
    super('PLEXUS_CONFIG_INVALID', `${setting}: ${message}`, {
      ...options,
      details: { setting, ...options.details },
    });
    this.setting = setting;
  }
}

/** A caller passed a value Plexus cannot accept (an empty key, a negative TTL, ...). */
export class ValidationError extends PlexusError {
  constructor(message: string, options: PlexusErrorOptions = {}) {
    super('PLEXUS_INVALID_ARGUMENT', message, options);
  }
}

/** Redis did not answer within the command timeout. */
export class RedisTimeoutError extends PlexusError {
  constructor(command: string, timeoutMs: number) {
    super('REDIS_TIMEOUT', `Redis did not answer ${command} within ${timeoutMs} ms`, {
      details: { command, timeoutMs },
    });
  }
}

/** Redis cannot be used right now: not connected, or the circuit breaker is open. */
export class RedisUnavailableError extends PlexusError {
  constructor(reason: string, options: PlexusErrorOptions = {}) {
    super('REDIS_UNAVAILABLE', `Redis is unavailable: ${reason}`, {
      ...options,
      details: { reason, ...options.details },
    });
  }
}

/** Redis answered with an error reply (wrong type, script error, cross-slot, ...). */
export class RedisCommandError extends PlexusError {
  constructor(command: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('REDIS_COMMAND_FAILED', `Redis rejected ${command}: ${reason}`, { cause, details: { command } });
  }
}

/** The operation needs a Redis feature the current mode does not have. */
export class UnsupportedError extends PlexusError {
  constructor(message: string) {
    super('PLEXUS_UNSUPPORTED', message);
  }
}

/** Returns true when `error` is a PlexusError with the given code. */
export function hasCode(error: unknown, code: string): boolean {
  return error instanceof PlexusError && error.code === code;
}
