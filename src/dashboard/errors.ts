/** Errors of the admin dashboard. Each code is stable; src/server/http-errors.ts maps them to statuses. */
import { PlexusError, type PlexusErrorOptions } from '../errors.js';

export type DashboardErrorCode =
  /** A panel id, an action or its value is malformed (400). */
  | 'DASHBOARD_INVALID_ARGUMENT'
  /** No such panel or action (404). */
  | 'DASHBOARD_NOT_FOUND'
  /** A mutation from a signed-in session without the session's CSRF token (403). */
  | 'DASHBOARD_CSRF'
  /** The page's front end was not built (`npm run build`) (503). */
  | 'DASHBOARD_NOT_BUILT';

export const DASHBOARD_ERROR_STATUS: Readonly<Record<DashboardErrorCode, number>> = {
  DASHBOARD_INVALID_ARGUMENT: 400,
  DASHBOARD_NOT_FOUND: 404,
  DASHBOARD_CSRF: 403,
  DASHBOARD_NOT_BUILT: 503,
};

export class DashboardError extends PlexusError {
  declare readonly code: DashboardErrorCode;

  constructor(code: DashboardErrorCode, message: string, options: PlexusErrorOptions = {}) {
    super(code, message, options);
  }
}
