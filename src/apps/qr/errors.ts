/**
 * Errors of the QR app, with stable codes: QR_NOT_FOUND (HTTP 404), QR_IMPORT_INVALID (HTTP 400).
 */
import { PlexusError, type PlexusErrorOptions } from '../../errors.js';

/** No student or stall with this id (HTTP 404). */
export class QRNotFoundError extends PlexusError {
  static readonly CODE = 'QR_NOT_FOUND';
  constructor(type: string, id: string) {
    super(QRNotFoundError.CODE, `no ${type} with id ${JSON.stringify(id)}`, { details: { type, id } });
  }
}

/** A roster file cannot be imported at all: empty, or no usable header (HTTP 400). */
export class QRImportError extends PlexusError {
  static readonly CODE = 'QR_IMPORT_INVALID';
  constructor(message: string, options: PlexusErrorOptions = {}) {
    super(QRImportError.CODE, message, options);
  }
}
