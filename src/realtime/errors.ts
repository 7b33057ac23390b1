/** Errors of the realtime hub (src/realtime/). Each code is stable; src/server/http-errors.ts maps them. */
import { PlexusError, type PlexusErrorOptions } from '../errors.js';

export type RealtimeErrorCode =
  /** No endpoint of that name is defined (in code or at runtime). */
  | 'WS_UNKNOWN_ENDPOINT'
  /** The endpoint needs a signed-in user and the request has none. */
  | 'WS_UNAUTHENTICATED'
  /** The user may not connect, publish or join there. */
  | 'WS_FORBIDDEN'
  /** The connection token is malformed, forged, expired or for another endpoint. */
  | 'WS_BAD_TOKEN'
  /** The instance is shutting down. */
  | 'WS_DRAINING'
  /** A frame, room, user id or endpoint definition that cannot be accepted. */
  | 'WS_BAD_REQUEST'
  /** The payload is larger than the endpoint's maxBytes. */
  | 'WS_TOO_LARGE'
  /** An endpoint defined in code cannot be replaced or removed at runtime. */
  | 'WS_ENDPOINT_IN_CODE'
  /** The hub was closed. */
  | 'WS_CLOSED';

export class RealtimeError extends PlexusError {
  declare readonly code: RealtimeErrorCode;

  constructor(code: RealtimeErrorCode, message: string, options: PlexusErrorOptions = {}) {
    super(code, message, options);
  }
}

/** HTTP status of each code, for the JSON error contract and the refused upgrades. */
export const REALTIME_ERROR_STATUS: Readonly<Record<RealtimeErrorCode, number>> = {
  WS_UNKNOWN_ENDPOINT: 404,
  WS_UNAUTHENTICATED: 401,
  WS_FORBIDDEN: 403,
  WS_BAD_TOKEN: 400,
  WS_DRAINING: 503,
  WS_BAD_REQUEST: 400,
  WS_TOO_LARGE: 413,
  WS_ENDPOINT_IN_CODE: 409,
  WS_CLOSED: 503,
};
