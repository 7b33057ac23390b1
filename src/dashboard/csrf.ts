/**
 * CSRF protection of the dashboard's mutations. A signed-in admin's browser sends the session
 * cookie by itself (SameSite=Lax already keeps it off cross-site POSTs from most browsers); the
 * page must also send `X-CSRF-Token`, an HMAC of the session id under the session secret, which it
 * reads from an admin-only route (a cross-site page cannot read it). Every instance computes the
 * same token, so no state is kept. A request carrying a valid admin bearer token sends no cookie
 * by itself and needs no CSRF token.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { PlexusCore } from '../application/definition.js';
import { sessionSecrets } from '../config/sessions.js';
import type { AdminStrategy } from '../server/auth.js';
import { DashboardError } from './errors.js';

export const CSRF_HEADER = 'x-csrf-token';

export class CsrfTokens {
  readonly #secret: string;
  readonly #plexus: PlexusCore;
  readonly #tokens: readonly AdminStrategy[];

  /** `tokens`: the machine credentials (admin bearer tokens), which need no CSRF token. */
  constructor(plexus: PlexusCore, tokens: readonly AdminStrategy[]) {
    this.#plexus = plexus;
    this.#tokens = tokens.filter((s) => s.configured);
    this.#secret = sessionSecrets(plexus.config.sessions, plexus.config.server.environment)[0]!;
  }

  /** The token of the request's session, or null when it has no valid session cookie. */
  forRequest(request: FastifyRequest): string | null {
    const read = this.#plexus.auth.cookie.read(request.headers.cookie);
    if (read.status !== 'valid') return null;
    return createHmac('sha256', this.#secret).update(`plexus-dashboard-csrf:${read.id}`).digest('base64url');
  }

  /** True when the request is admitted by a bearer token rather than a session. */
  async byToken(request: FastifyRequest): Promise<boolean> {
    for (const strategy of this.#tokens) if ((await strategy.check(request)) === 'admin') return true;
    return false;
  }

  /** preHandler for mutations, after requireAdmin. */
  readonly check: preHandlerAsyncHookHandler = async (request) => {
    if (await this.byToken(request)) return;
    const expected = this.forRequest(request);
    const sent = request.headers[CSRF_HEADER];
    if (
      expected === null ||
      typeof sent !== 'string' ||
      sent.length !== expected.length ||
      !timingSafeEqual(Buffer.from(sent), Buffer.from(expected))
    ) {
      throw new DashboardError('DASHBOARD_CSRF', `Missing or wrong ${CSRF_HEADER} header; reload the page`);
    }
  };
}
