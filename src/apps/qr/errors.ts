/**
 * Errors of the QR app, with stable codes: QR_NOT_FOUND (HTTP 404), QR_IMPORT_INVALID (HTTP 400).
 */
import { PlexusError, type PlexusErrorOptions } from '../../errors.js';

/** No student or stall with this id (HTTP 404). */
export class QRNotFoundError extends PlexusError {
  constructor(type: string, id: string) {
    super('QR_NOT_FOUND', `no ${type} with id ${JSON.stringify(id)}`, { details: { type, id } });
  }
}

/** A roster file cannot be imported at all: empty, or no usable header (HTTP 400). */
export class QRImportError extends PlexusError {
  constructor(message: string, options: PlexusErrorOptions = {}) {
    super('QR_IMPORT_INVALID', message, options);
  }
}
