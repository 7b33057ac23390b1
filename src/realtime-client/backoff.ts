/**
 * Reconnect delays: exponential growth with jitter, so that the clients of an instance that went
 * away do not all come back in the same millisecond.
 */

export interface BackoffOptions {
  /** The delay before the first retry, in ms. Default 500. */
  initialMs?: number;
  /** The longest delay, in ms. Default 15000. */
  maxMs?: number;
  /** How much each failed attempt multiplies the delay. Default 2. */
  factor?: number;
  /**
   * The share of the delay that is random, 0–1: the delay is drawn from [d·(1 − jitter), d].
   * Default 0.5.
   */
  jitter?: number;
}

export const BACKOFF_DEFAULTS: Required<BackoffOptions> = {
  initialMs: 500,
  maxMs: 15_000,
  factor: 2,
  jitter: 0.5,
};

/** The delay before retry number `attempt` (0 for the first retry); `random` returns [0, 1). */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const { initialMs, maxMs, factor, jitter } = { ...BACKOFF_DEFAULTS, ...options };
  const ceiling = Math.min(maxMs, initialMs * factor ** Math.max(0, attempt));
  const share = Math.min(1, Math.max(0, jitter));
  return Math.round(ceiling * (1 - share * random()));
}
