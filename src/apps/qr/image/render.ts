/**
 * Token → image: builds the matrix once and renders PNG or SVG at the requested size and margin.
 * Options are validated here (ValidationError, HTTP 400) so that a request can never ask for an
 * unbounded image.
 */
import { createHash } from 'node:crypto';
import { ValidationError } from '../../../errors.js';
import { buildMatrix, type ErrorCorrectionLevel, type QRMatrix } from './matrix.js';
import { encodePng, type RasterLayout } from './png.js';
import { renderSvg } from './svg.js';

export const IMAGE_FORMATS = ['png', 'svg'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

export const IMAGE_SIZE_LIMITS = { min: 64, max: 2048 } as const;
export const IMAGE_MARGIN_LIMITS = { min: 0, max: 16 } as const;

export const CONTENT_TYPES: Record<ImageFormat, string> = {
  png: 'image/png',
  svg: 'image/svg+xml',
};

export interface ImageOptions {
  format: ImageFormat;
  /** Largest width in pixels; the image is the largest whole multiple of the module count that fits. */
  size: number;
  /** Quiet zone in modules. */
  margin: number;
}

export interface RenderedImage {
  body: Buffer;
  /** Strong ETag (quoted), a digest of the body. */
  etag: string;
}

export function checkImageOptions(options: ImageOptions): ImageOptions {
  const { format, size, margin } = options;
  if (!IMAGE_FORMATS.includes(format)) throw new ValidationError(`format must be png or svg, got ${format}`);
  if (!Number.isInteger(size) || size < IMAGE_SIZE_LIMITS.min || size > IMAGE_SIZE_LIMITS.max) {
    throw new ValidationError(
      `size must be a whole number of pixels from ${IMAGE_SIZE_LIMITS.min} to ${IMAGE_SIZE_LIMITS.max}`,
    );
  }
  if (!Number.isInteger(margin) || margin < IMAGE_MARGIN_LIMITS.min || margin > IMAGE_MARGIN_LIMITS.max) {
    throw new ValidationError(
      `margin must be a whole number of modules from ${IMAGE_MARGIN_LIMITS.min} to ${IMAGE_MARGIN_LIMITS.max}`,
    );
  }
  return options;
}

export function layoutFor(matrix: QRMatrix, options: ImageOptions): RasterLayout {
  const scale = Math.max(1, Math.floor(options.size / (matrix.size + 2 * options.margin)));
  return { scale, margin: options.margin };
}

export function etagOf(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
}

export function renderImage(
  token: string,
  options: ImageOptions,
  errorCorrection: ErrorCorrectionLevel,
): RenderedImage {
  const matrix = buildMatrix(token, errorCorrection);
  const layout = layoutFor(matrix, options);
  const body =
    options.format === 'png' ? encodePng(matrix, layout) : Buffer.from(renderSvg(matrix, layout), 'utf8');
  return { body, etag: etagOf(body) };
}
