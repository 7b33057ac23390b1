/**
 * Who may call an attendance route: a signed-in account with one of the roles (`admin` may do
 * everything staff may), or, for staff routes, the admin bearer token (machines, scripts).
 */
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Role } from '../../../accounts/roles.js';
import type { SessionUser } from '../../../sessions/record.js';
import { AttendanceError } from '../errors.js';

/**
 * The signed-in account, which must hold one of `roles`: AUTH_REQUIRED (401) without a session,
 * ATTENDANCE_FORBIDDEN (403) for an anonymous session or the wrong roles.
 */
export async function requireRole(request: FastifyRequest, roles: readonly Role[]): Promise<SessionUser> {
  const session = await request.requireSession();
  const user = session.user;
  if (user === null) throw new AttendanceError('ATTENDANCE_FORBIDDEN', 'sign in first');
  if (!(user.roles ?? []).some((role) => roles.includes(role as Role))) {
    throw new AttendanceError('ATTENDANCE_FORBIDDEN', `this needs one of the roles: ${roles.join(', ')}`);
  }
  return user;
}

/** preHandler: a session holding one of `roles`, or (for machines and scripts) the admin bearer token. */
export function roleOrAdminToken(
  requireAdmin: preHandlerAsyncHookHandler,
  roles: readonly Role[],
): preHandlerAsyncHookHandler {
  return async function check(request, reply) {
    if (request.headers.authorization !== undefined) {
      await requireAdmin.call(this, request, reply);
      return;
    }
    await requireRole(request, roles);
  };
}
