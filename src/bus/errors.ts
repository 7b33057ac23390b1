/** Errors of the broadcast bus. Each code is stable; routes map them to 400 responses. */
import { PlexusError, type PlexusErrorOptions } from '../errors.js';

export type BusErrorCode =
  /** The channel is not of the form `app:area:event`, or uses characters outside `[A-Za-z0-9_.-]`. */
  | 'BUS_INVALID_CHANNEL'
  /** Application code tried to publish on `plexus:…`, which Plexus's own modules use. */
  | 'BUS_RESERVED_CHANNEL'
  /** A subscription pattern has a wildcard outside the event part (see docs/coordination.md). */
  | 'BUS_PATTERN_UNSUPPORTED'
  /** The payload is not JSON-serialisable. */
  | 'BUS_INVALID_PAYLOAD'
  /** The serialised payload exceeds BUS_MAX_PAYLOAD_BYTES. */
  | 'BUS_PAYLOAD_TOO_LARGE'
  /** The bus was closed. */
  | 'BUS_CLOSED';

export class BusError extends PlexusError {
  declare readonly code: BusErrorCode;

  constructor(code: BusErrorCode, message: string, options: PlexusErrorOptions = {}) {
    super(code, message, options);
  }
}
