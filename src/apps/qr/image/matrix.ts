/**
 * The QR symbol itself: the `qrcode` package builds the module matrix (segmenting, Reed–Solomon,
 * mask selection: about 0.15 ms for a version 2 symbol), and Plexus renders it. The package's own
 * PNG path (pngjs, RGBA, one pixel at a time) costs several milliseconds per image, ten times the
 * matrix, which is why src/apps/qr/image/png.ts exists.
 */
import QRCode from 'qrcode';

export const ERROR_CORRECTION_LEVELS = ['L', 'M', 'Q', 'H'] as const;
export type ErrorCorrectionLevel = (typeof ERROR_CORRECTION_LEVELS)[number];

export interface QRMatrix {
  /** Modules per side (21 for version 1, +4 per version). */
  readonly size: number;
  readonly version: number;
  /** Row-major, one byte per module, 1 = dark. */
  readonly modules: Uint8Array;
}

export function buildMatrix(text: string, errorCorrection: ErrorCorrectionLevel): QRMatrix {
  const code = QRCode.create(text, { errorCorrectionLevel: errorCorrection });
  return { size: code.modules.size, version: code.version, modules: code.modules.data };
}
