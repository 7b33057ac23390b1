import { inflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import QRCode from 'qrcode';
import { describe, expect, it } from 'vitest';
import { buildMatrix, segmentsFor } from '../../src/apps/qr/image/matrix.js';
import { checkImageOptions, renderImage } from '../../src/apps/qr/image/render.js';
import { Keyring, QRTokens } from '../../src/apps/qr/tokens/index.js';
import { decodePng, decodeSvg } from '../support/qr-decode.js';

const keyring = new Keyring({ id: 1, secret: 'image-test-secret-0123456789' });
const compact = new QRTokens(keyring, 'compact');
const jwt = new QRTokens(keyring, 'jwt');

const tokens = [
  compact.issue({ type: 'student', id: '24817', version: 1 }),
  compact.issue({ type: 'stall', id: 'FOOD-COURT-12', version: 3 }),
  compact.issue({ type: 'student', id: 'x'.repeat(64), version: 1 }),
  jwt.issue({ type: 'student', id: '24817', version: 1 }),
];

describe('QR images', () => {
  it('compact tokens make small symbols in alphanumeric mode', () => {
    const matrix = buildMatrix(tokens[0]!, 'M');
    expect(matrix.version).toBeLessThanOrEqual(3);
    expect(buildMatrix(tokens[3]!, 'M').version).toBeGreaterThanOrEqual(7);
  });

  it('builds exactly the symbol the qrcode package builds, mask choice included', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 400; i++) {
      const format = i % 8 === 0 ? jwt : compact;
      const token = format.issue({
        type: i % 2 ? 'stall' : 'student',
        id: String(i * 7919),
        version: 1 + (i % 5),
      });
      for (const level of ['L', 'M', 'Q', 'H'] as const) {
        const reference = QRCode.create(segmentsFor(token), { errorCorrectionLevel: level });
        const mine = buildMatrix(token, level);
        expect(mine.size).toBe(reference.modules.size);
        expect(
          Buffer.from(mine.modules).equals(Buffer.from(reference.modules.data)),
          `${token} ${level}`,
        ).toBe(true);
        seen.add(reference.maskPattern ?? -1);
      }
    }
    expect(seen.size).toBe(8);
  });

  for (const level of ['L', 'M', 'Q', 'H'] as const) {
    it(`PNG decodes back to the token (level ${level}, several sizes and margins)`, () => {
      for (const token of tokens) {
        for (const [size, margin] of [
          [300, 4],
          [128, 2],
          [512, 1],
          [1000, 8],
        ] as const) {
          const { body } = renderImage(token, { format: 'png', size, margin }, level);
          const png = PNG.sync.read(body);
          expect(png.width).toBe(png.height);
          expect(png.width).toBeLessThanOrEqual(size);
          expect(png.width % (buildMatrix(token, level).size + 2 * margin)).toBe(0);
          expect(decodePng(body)?.text, `${token} ${size} ${margin}`).toBe(token);
        }
      }
    });
  }

  it('PNG without a quiet zone still has the right modules at the edges', () => {
    const token = tokens[0]!;
    const matrix = buildMatrix(token, 'M');
    const { body } = renderImage(token, { format: 'png', size: matrix.size * 4, margin: 0 }, 'M');
    const png = PNG.sync.read(body);
    expect(png.width).toBe(matrix.size * 4);
    for (let row = 0; row < matrix.size; row++) {
      for (let col = 0; col < matrix.size; col++) {
        const o = ((row * 4 + 1) * png.width + col * 4 + 2) * 4;
        expect(png.data[o] === 0 ? 1 : 0).toBe(matrix.modules[row * matrix.size + col]);
      }
    }
  });

  it('SVG decodes back to the token', () => {
    for (const token of tokens) {
      for (const [size, margin] of [
        [300, 4],
        [200, 1],
      ] as const) {
        const { body } = renderImage(token, { format: 'svg', size, margin }, 'M');
        const svg = body.toString('utf8');
        expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
        expect(decodeSvg(svg)?.text).toBe(token);
      }
    }
  });

  it('PNGs are 1-bit grayscale, well under 1.5 KB, and deterministic', () => {
    const a = renderImage(tokens[0]!, { format: 'png', size: 300, margin: 4 }, 'M');
    const b = renderImage(tokens[0]!, { format: 'png', size: 300, margin: 4 }, 'M');
    expect(a.body.length).toBeLessThan(700);
    expect(a.body.equals(b.body)).toBe(true);
    expect(a.etag).toBe(b.etag);
    expect(a.body[24]).toBe(1); // bit depth
    expect(a.body[25]).toBe(0); // color type: grayscale
    // The IDAT stream inflates to exactly height * (1 + ceil(width / 8)) bytes.
    const png = PNG.sync.read(a.body);
    const idatLength = a.body.readUInt32BE(33);
    expect(a.body.subarray(37, 41).toString()).toBe('IDAT');
    const raw = inflateSync(a.body.subarray(41, 41 + idatLength));
    expect(raw.length).toBe(png.height * (1 + Math.ceil(png.width / 8)));
    const other = renderImage(tokens[1]!, { format: 'png', size: 300, margin: 4 }, 'M');
    expect(other.etag).not.toBe(a.etag);
  });

  it('refuses sizes, margins and formats out of range', () => {
    expect(() => checkImageOptions({ format: 'png', size: 10, margin: 4 })).toThrow(/size/);
    expect(() => checkImageOptions({ format: 'png', size: 5000, margin: 4 })).toThrow(/size/);
    expect(() => checkImageOptions({ format: 'png', size: 300, margin: -1 })).toThrow(/margin/);
    expect(() => checkImageOptions({ format: 'png', size: 300.5, margin: 4 })).toThrow(/size/);
    expect(() => checkImageOptions({ format: 'gif' as 'png', size: 300, margin: 4 })).toThrow(/format/);
  });
});
