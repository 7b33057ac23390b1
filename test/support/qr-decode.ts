/**
 * Independent decoding of the QR images Plexus produces: PNGs are read with pngjs, SVGs are
 * rasterized here from their <rect> and <path> elements (filled polygons and 1-unit strokes), and
 * both go through jsQR. Nothing here shares code with src/apps/qr/image/.
 */
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';

type JsQR = typeof jsQRModule.default;
// jsqr is CommonJS with `exports.default`: Node hands ESM the exports object, bundlers the function.
const jsQR: JsQR = (jsQRModule as { default?: JsQR }).default ?? (jsQRModule as unknown as JsQR);

export interface Decoded {
  text: string;
  width: number;
  height: number;
}

export function decodeRgba(data: Uint8ClampedArray, width: number, height: number): Decoded | undefined {
  const result = jsQR(data, width, height, { inversionAttempts: 'dontInvert' });
  return result === null ? undefined : { text: result.data, width, height };
}

export function decodePng(png: Buffer): Decoded | undefined {
  const image = PNG.sync.read(png);
  const rgba = new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length);
  return decodeRgba(rgba, image.width, image.height);
}

function attr(element: string, name: string): string | undefined {
  return new RegExp(`\\s${name}="([^"]*)"`).exec(element)?.[1];
}

function isDark(color: string | undefined): boolean {
  if (color === undefined || color === 'none') return false;
  const c = color.toLowerCase();
  return c === 'black' || c === '#000' || c === '#000000';
}

interface Canvas {
  rgba: Uint8ClampedArray;
  px: number;
  /** Pixels per user unit. */
  unit: number;
}

/** Paints the pixels whose centres fall inside [x0,x1)×[y0,y1) (user units). */
function paintRect(canvas: Canvas, x0: number, y0: number, x1: number, y1: number, dark: boolean): void {
  const { px, unit, rgba } = canvas;
  const value = dark ? 0 : 255;
  for (let py = Math.max(0, Math.round(y0 * unit)); py < Math.min(px, Math.round(y1 * unit)); py++) {
    for (let pxX = Math.max(0, Math.round(x0 * unit)); pxX < Math.min(px, Math.round(x1 * unit)); pxX++) {
      const o = (py * px + pxX) * 4;
      rgba[o] = rgba[o + 1] = rgba[o + 2] = value;
      rgba[o + 3] = 255;
    }
  }
}

/** Tokenizes path data into [command, numbers[]] pairs. */
function pathCommands(d: string): [string, number[]][] {
  const out: [string, number[]][] = [];
  for (const match of d.matchAll(/([MmHhVvLlZz])([^MmHhVvLlZz]*)/g)) {
    const numbers = (match[2]!.match(/-?\d*\.?\d+(?:e-?\d+)?/gi) ?? []).map(Number);
    out.push([match[1]!, numbers]);
  }
  return out;
}

/** Even-odd fill of the polygons of a path at pixel centres. */
function fillPath(canvas: Canvas, d: string, dark: boolean): void {
  const polygons: [number, number][][] = [];
  let current: [number, number][] = [];
  let x = 0;
  let y = 0;
  for (const [cmd, n] of pathCommands(d)) {
    switch (cmd) {
      case 'M':
      case 'm':
        if (current.length > 0) polygons.push(current);
        x = cmd === 'M' ? n[0]! : x + n[0]!;
        y = cmd === 'M' ? n[1]! : y + n[1]!;
        current = [[x, y]];
        break;
      case 'H':
      case 'h':
        x = cmd === 'H' ? n[0]! : x + n[0]!;
        current.push([x, y]);
        break;
      case 'V':
      case 'v':
        y = cmd === 'V' ? n[0]! : y + n[0]!;
        current.push([x, y]);
        break;
      case 'L':
      case 'l':
        x = cmd === 'L' ? n[0]! : x + n[0]!;
        y = cmd === 'L' ? n[1]! : y + n[1]!;
        current.push([x, y]);
        break;
      case 'Z':
      case 'z':
        polygons.push(current);
        [x, y] = current[0] ?? [x, y];
        current = [];
        break;
    }
  }
  if (current.length > 0) polygons.push(current);
  const { px, unit } = canvas;
  for (let py = 0; py < px; py++) {
    const cy = (py + 0.5) / unit;
    for (let pxX = 0; pxX < px; pxX++) {
      const cx = (pxX + 0.5) / unit;
      let inside = false;
      for (const poly of polygons) {
        for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
          const [xi, yi] = poly[i]!;
          const [xj, yj] = poly[j]!;
          if (yi > cy !== yj > cy && cx < ((xj - xi) * (cy - yi)) / (yj - yi) + xi) inside = !inside;
        }
      }
      if (inside) paintRect(canvas, pxX / unit, py / unit, (pxX + 1) / unit, (py + 1) / unit, dark);
    }
  }
}

/** Paints a path stroked with width 1 made of horizontal and vertical segments. */
function strokePath(canvas: Canvas, d: string, dark: boolean): void {
  let x = 0;
  let y = 0;
  for (const [cmd, n] of pathCommands(d)) {
    const [x0, y0] = [x, y];
    if (cmd === 'M' || cmd === 'm') {
      x = cmd === 'M' ? n[0]! : x + n[0]!;
      y = cmd === 'M' ? n[1]! : y + n[1]!;
    } else if (cmd === 'H' || cmd === 'h') {
      x = cmd === 'H' ? n[0]! : x + n[0]!;
      paintRect(canvas, Math.min(x0, x), y - 0.5, Math.max(x0, x), y + 0.5, dark);
    } else if (cmd === 'V' || cmd === 'v') {
      y = cmd === 'V' ? n[0]! : y + n[0]!;
      paintRect(canvas, x - 0.5, Math.min(y0, y), x + 0.5, Math.max(y0, y), dark);
    } else {
      throw new Error(`unsupported stroke command ${cmd}`);
    }
  }
}

export interface SvgRaster {
  rgba: Uint8ClampedArray;
  width: number;
  height: number;
}

/** Rasterizes an SVG of <rect>s and <path>s at its width/height attributes. */
export function rasterizeSvg(svg: string): SvgRaster {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0];
  if (root === undefined) throw new Error('no <svg> element');
  const width = Number(attr(root, 'width'));
  const height = Number(attr(root, 'height'));
  const viewBox = (attr(root, 'viewBox') ?? `0 0 ${width} ${height}`).split(/\s+/).map(Number);
  if (width !== height || viewBox[2] !== viewBox[3]) throw new Error('expected a square image');
  const canvas: Canvas = {
    rgba: new Uint8ClampedArray(width * height * 4).fill(255),
    px: width,
    unit: width / viewBox[2]!,
  };
  for (const [element] of svg.matchAll(/<(rect|path)\b[^>]*>/g)) {
    if (element.startsWith('<rect')) {
      const [x, y, w, h] = ['x', 'y', 'width', 'height'].map((a) => Number(attr(element, a) ?? 0)) as [
        number,
        number,
        number,
        number,
      ];
      paintRect(canvas, x, y, x + w, y + h, isDark(attr(element, 'fill') ?? '#000'));
      continue;
    }
    const d = attr(element, 'd') ?? '';
    const stroke = attr(element, 'stroke');
    if (stroke !== undefined && stroke !== 'none') strokePath(canvas, d, isDark(stroke));
    const fill = attr(element, 'fill');
    if (stroke === undefined || (fill !== undefined && fill !== 'none'))
      fillPath(canvas, d, isDark(fill ?? '#000'));
  }
  return { rgba: canvas.rgba, width, height };
}

export function decodeSvg(svg: string): Decoded | undefined {
  const { rgba, width, height } = rasterizeSvg(svg);
  return decodeRgba(rgba, width, height);
}
