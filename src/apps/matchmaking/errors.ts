/**
 * Errors of the matchmaking app, each with a stable code; `MATCHMAKING_ERROR_STATUSES` gives the
 * HTTP status the application definition declares for each.
 */
import { PlexusError } from '../../errors.js';

export type MatchmakingErrorCode =
  | 'MM_UNKNOWN_MODE'
  | 'MM_UNKNOWN_REGION'
  | 'MM_INVALID_PARTY'
  | 'MM_INVALID_RATING'
  | 'MM_ALREADY_QUEUED'
  | 'MM_NOT_QUEUED'
  | 'MM_MATCH_NOT_FOUND'
  | 'MM_MATCH_FINISHED'
  | 'MM_INVALID_RESULT'
  | 'MM_SERVER_NOT_FOUND'
  | 'MM_SERVER_FORBIDDEN'
  | 'MM_SERVER_INVALID';

export const MATCHMAKING_ERROR_STATUSES: Readonly<Record<MatchmakingErrorCode, number>> = {
  MM_UNKNOWN_MODE: 400,
  MM_UNKNOWN_REGION: 400,
  MM_INVALID_PARTY: 400,
  MM_INVALID_RATING: 400,
  MM_ALREADY_QUEUED: 409,
  MM_NOT_QUEUED: 409,
  MM_MATCH_NOT_FOUND: 404,
  MM_MATCH_FINISHED: 409,
  MM_INVALID_RESULT: 400,
  MM_SERVER_NOT_FOUND: 404,
  MM_SERVER_FORBIDDEN: 403,
  MM_SERVER_INVALID: 400,
};

export class MatchmakingError extends PlexusError {
  declare readonly code: MatchmakingErrorCode;
  constructor(code: MatchmakingErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details === undefined ? {} : { details });
  }
}
