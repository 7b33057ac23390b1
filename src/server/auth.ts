/**
 * Admin authorisation. `requireAdmin` is a preHandler that admits a request when one of the admin
 * strategies recognises an administrator; strategies are listed in `adminStrategies`, the one place
 * to add another way in (an admin session, say).
 *
 * Each strategy answers `admin`, `forbidden` (the caller is authenticated but not an admin: 403)
 * or `none` (no usable credentials: 401). A deployment with no configured strategy refuses every
 * admin request, and `assertAdminConfigured` refuses to start it in production.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Auth } from '../accounts/auth.js';
import type { PlexusConfig } from '../config/index.js';
import { ConfigError, PlexusError } from '../errors.js';
import type { Logger } from '../logger.js';

export type AdminVerdict = 'admin' | 'forbidden' | 'none';

export interface AdminStrategy {
  readonly name: string;
  /** False when the strategy can never admit anyone (its secret is not set). */
  readonly configured: boolean;
  check(request: FastifyRequest): AdminVerdict | Promise<AdminVerdict>;
}

export function adminStrategies(config: PlexusConfig): AdminStrategy[] {
  return [bearerToken(config.server.adminToken)];
}

/**
 * The session cookie of a signed-in account with the `admin` role (src/accounts/auth.ts). Always
 * configured, but not a machine credential: production still requires PLEXUS_ADMIN_TOKEN.
 */
export function adminSession(auth: Auth): AdminStrategy {
  return {
    name: 'admin session',
    configured: true,
    check: (request) => auth.adminVerdict(request.headers.cookie),
  };
}

/** `Authorization: Bearer <token>` (by default PLEXUS_ADMIN_TOKEN), compared in constant time. */
export function bearerToken(token: string | undefined, name = 'PLEXUS_ADMIN_TOKEN'): AdminStrategy {
  const expected = token === undefined ? undefined : digest(token);
  return {
    name,
    configured: expected !== undefined,
    check(request) {
      const header = request.headers.authorization;
      if (expected === undefined || header === undefined) return 'none';
      const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
      if (match === null) return 'none';
      // Hashing first gives equal lengths, so timingSafeEqual leaks nothing about the token.
      return timingSafeEqual(digest(match[1]!), expected) ? 'admin' : 'none';
    },
  };
}

export function createRequireAdmin(strategies: readonly AdminStrategy[]): preHandlerAsyncHookHandler {
  const active = strategies.filter((s) => s.configured);
  return async (request) => {
    if (active.length === 0) {
      throw new PlexusError(
        'UNAUTHORIZED',
        'Admin routes are disabled: set PLEXUS_ADMIN_TOKEN to enable them',
      );
    }
    let forbidden = false;
    for (const strategy of active) {
      const verdict = await strategy.check(request);
      if (verdict === 'admin') return;
      if (verdict === 'forbidden') forbidden = true;
    }
    if (forbidden) throw new PlexusError('FORBIDDEN', 'Administrator rights are required');
    throw new PlexusError(
      'UNAUTHORIZED',
      'Admin credentials are missing or invalid: sign in as an admin, or send the PLEXUS_ADMIN_TOKEN bearer token',
    );
  };
}

/**
 * Access to the Prometheus exposition: METRICS_TOKEN or PLEXUS_ADMIN_TOKEN as a bearer token (a
 * scraper sends no cookie). With neither set it is open, logged once, except in production, where
 * this throws: an open exposition names routes, servers and versions to anyone.
 * Returns the preHandler, or undefined when the exposition is open.
 */
export function createRequireMetrics(
  config: PlexusConfig,
  logger: Logger,
): preHandlerAsyncHookHandler | undefined {
  const active = [bearerToken(config.prometheus.token, 'METRICS_TOKEN'), ...adminStrategies(config)].filter(
    (s) => s.configured,
  );
  if (active.length === 0) {
    if (config.server.environment === 'production') {
      throw new ConfigError(
        'METRICS_TOKEN',
        'NODE_ENV is production and the Prometheus exposition would be open; set METRICS_TOKEN or PLEXUS_ADMIN_TOKEN',
      );
    }
    logger.warn(
      {},
      'Prometheus exposition open to anyone: neither METRICS_TOKEN nor PLEXUS_ADMIN_TOKEN is set',
    );
    return undefined;
  }
  return async (request) => {
    for (const strategy of active) if ((await strategy.check(request)) === 'admin') return;
    throw new PlexusError(
      'UNAUTHORIZED',
      'Metrics credentials are missing or invalid: send METRICS_TOKEN or PLEXUS_ADMIN_TOKEN as a bearer token',
    );
  };
}

export function assertAdminConfigured(strategies: readonly AdminStrategy[], config: PlexusConfig): void {
  if (config.server.environment !== 'production' || strategies.some((s) => s.configured)) return;
  throw new ConfigError(
    'PLEXUS_ADMIN_TOKEN',
    'NODE_ENV is production and admin routes would have no credentials; set a token of 16 or more characters',
  );
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
