/**
 * A minimal PNG encoder for QR symbols: 1-bit grayscale, no interlace, every module a square of
 * `scale` pixels and a quiet zone of `margin` modules.
 *
 * Rows of one module row are identical, so each is written once with filter 0 and the copies below
 * it with filter 2 (Up), which makes them all zero bytes: deflate then stores the whole block in a
 * few bytes. A 297-pixel version 2 symbol is about 400 bytes, against about 1 KB from the `qrcode`
 * package's RGBA output, and is encoded in well under a tenth of the time.
 */
import { deflateSync, crc32 as zlibCrc32 } from 'node:zlib';
import type { QRMatrix } from './matrix.js';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** zlib.crc32 exists from Node 20.15; earlier 20.x releases use the table below. */
const crc32: (data: Uint8Array) => number = typeof zlibCrc32 === 'function' ? zlibCrc32 : tableCrc32;

let table: Uint32Array | undefined;
function tableCrc32(data: Uint8Array): number {
  if (table === undefined) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of data) crc = table[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.allocUnsafe(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

const IEND = chunk('IEND', Buffer.alloc(0));

export interface RasterLayout {
  scale: number;
  margin: number;
}

/** Width (= height) in pixels of the rendered symbol. */
export function pixelSize(matrix: QRMatrix, layout: RasterLayout): number {
  return (matrix.size + 2 * layout.margin) * layout.scale;
}

/** Clears (darkens) pixels [from, to) of the scanline whose pixel bytes start at `offset`. */
function darken(raw: Buffer, offset: number, from: number, to: number): void {
  const first = from >> 3;
  const last = (to - 1) >> 3;
  const head = 0xff >> (from & 7);
  const tail = (0xff << (7 - ((to - 1) & 7))) & 0xff;
  if (first === last) {
    raw[offset + first]! &= ~(head & tail);
    return;
  }
  raw[offset + first]! &= ~head;
  if (last > first + 1) raw.fill(0, offset + first + 1, offset + last);
  raw[offset + last]! &= ~tail;
}

// Scanlines are rebuilt for every image and deflated synchronously, so one buffer serves them all.
let scratch = Buffer.allocUnsafe(16 * 1024);

export function encodePng(matrix: QRMatrix, layout: RasterLayout): Buffer {
  const { scale, margin } = layout;
  const width = pixelSize(matrix, layout);
  const stride = 1 + Math.ceil(width / 8);
  if (scratch.length < stride * width) scratch = Buffer.allocUnsafe(stride * width);
  const raw = scratch.subarray(0, stride * width);
  const n = matrix.size;
  for (let row = 0; row < n + 2 * margin; row++) {
    // The module row's first scanline: filter 0, white (1 bits, padding included), dark runs cleared.
    const first = row * scale * stride;
    raw[first] = 0;
    raw.fill(0xff, first + 1, first + stride);
    const moduleRow = row - margin;
    if (moduleRow >= 0 && moduleRow < n) {
      const base = moduleRow * n;
      for (let col = 0; col < n; ) {
        if (matrix.modules[base + col] === 0) {
          col++;
          continue;
        }
        const start = col;
        while (col < n && matrix.modules[base + col] !== 0) col++;
        darken(raw, first + 1, (start + margin) * scale, (col + margin) * scale);
      }
    }
    // Its copies: filter Up, all-zero differences.
    raw.fill(0, first + stride, first + scale * stride);
    for (let copy = 1; copy < scale; copy++) raw[first + copy * stride] = 2;
  }

  const header = Buffer.allocUnsafe(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(width, 4);
  header[8] = 1; // bit depth
  header[9] = 0; // grayscale
  header[10] = 0; // deflate
  header[11] = 0; // adaptive filtering
  header[12] = 0; // no interlace
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 3 })),
    IEND,
  ]);
}
