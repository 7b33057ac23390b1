/**
 * Login rate limiting across the cluster: two fixed-window counters in Redis (lua/login_limit.lua),
 * one per client address (IPv6 per /64, so one host cannot rotate through its prefix) and one per
 * account name (lower-cased). Each attempt is counted before the password is checked, so parallel
 * guesses cannot slip past the limit; the address is checked first, and the account only when the
 * address may try. A successful login resets its account's counter (not the address's).
 * Unknown account names are counted like known ones: answers never reveal which names exist.
 *
 * While Redis is unreachable the counters live in this process (each instance then limits alone).
 * The limits are read for each attempt from a source that may change while running
 * (`limitsFrom`; createPlexus reads them from plexus.settings, src/settings/runtime.ts).
 */
import { isIP } from 'node:net';
import { withFallback } from '../redis/fallback.js';
import { MemoryStore } from '../redis/memory/memory-store.js';
import type { Store } from '../redis/store.js';
import type { LayerView } from '../redis/view.js';
import { LoginRateLimitedError } from './errors.js';
import { loginLimit } from './scripts.js';

export interface LoginLimits {
  perAccount: number;
  perAddress: number;
  windowMs: number;
}

export type LoginLimitsSource = () => LoginLimits | Promise<LoginLimits>;

export class LoginLimiter {
  readonly #layer: LayerView;
  #limits: LoginLimitsSource;
  readonly #local = new MemoryStore();

  constructor(layer: LayerView, limits: LoginLimits) {
    this.#layer = layer;
    this.#limits = () => limits;
  }

  /** Reads the limits from `source` at each attempt from now on (runtime settings). */
  limitsFrom(source: LoginLimitsSource): void {
    this.#limits = source;
  }

  close(): void {
    this.#local.close();
  }

  /** Counts one attempt; throws LOGIN_RATE_LIMITED (with retryAfterMs) when over a limit. */
  async attempt(login: string, address: string): Promise<void> {
    const keys = this.#layer.keys.sessions;
    const limits = await this.#limits();
    const byAddress = await this.#consume(
      keys.loginAddress(addressBucket(address)),
      limits.perAddress,
      limits.windowMs,
    );
    if (byAddress !== null) throw new LoginRateLimitedError('address', byAddress);
    const byAccount = await this.#consume(
      keys.loginAccount(normalizeLogin(login)),
      limits.perAccount,
      limits.windowMs,
    );
    if (byAccount !== null) throw new LoginRateLimitedError('account', byAccount);
  }

  /** Forgets the failed attempts of an account after a successful login. */
  async succeeded(login: string): Promise<void> {
    const key = this.#layer.keys.sessions.loginAccount(normalizeLogin(login));
    await this.#run((store) => store.del([key]));
  }

  /** Null when allowed, else milliseconds until the window ends. */
  async #consume(key: string, limit: number, windowMs: number): Promise<number | null> {
    const reply = await this.#run((store) => store.runScript(loginLimit, [key], [limit, windowMs]));
    const [allowed, value] = Array.isArray(reply) ? reply.map(Number) : [1, 0];
    return allowed === 1 ? null : value!;
  }

  #run<T>(call: (store: Store) => Promise<T>): Promise<T> {
    return withFallback(
      this.#layer,
      () => call(this.#layer.store),
      () => call(this.#local),
    );
  }
}

/** Account names compare case-insensitively and without surrounding spaces. */
export function normalizeLogin(login: string): string {
  return login.trim().toLowerCase();
}

/** The rate-limit bucket of a client address: IPv4 as is, IPv6 by its /64 prefix. */
export function addressBucket(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (isIP(address) !== 6) return address;
  const [head, tail = ''] = address.split('::');
  const left = head === '' ? [] : head!.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
