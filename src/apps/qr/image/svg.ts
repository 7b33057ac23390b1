/**
 * SVG rendering of a QR symbol: a white square and one stroked path with a horizontal segment
 * per run of dark modules (`M x y.5 h len` for the first run of a row, `m gap 0 h len` after it),
 * in module units, scaled by width/height. About 1 KB for a version 2 symbol.
 */
import type { QRMatrix } from './matrix.js';
import { pixelSize, type RasterLayout } from './png.js';

export function renderSvg(matrix: QRMatrix, layout: RasterLayout): string {
  const n = matrix.size;
  const side = n + 2 * layout.margin;
  const px = pixelSize(matrix, layout);
  let d = '';
  for (let row = 0; row < n; row++) {
    let cursor = -1; // x where the previous run of this row ended; -1 before the first run
    let col = 0;
    while (col < n) {
      if (matrix.modules[row * n + col] === 0) {
        col++;
        continue;
      }
      const start = col;
      while (col < n && matrix.modules[row * n + col] !== 0) col++;
      const x = start + layout.margin;
      d += cursor < 0 ? `M${x} ${row + layout.margin}.5h${col - start}` : `m${x - cursor} 0h${col - start}`;
      cursor = col + layout.margin;
    }
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${px}" height="${px}" viewBox="0 0 ${side} ${side}" ` +
    `shape-rendering="crispEdges"><path fill="#fff" d="M0 0h${side}v${side}H0z"/>` +
    `<path stroke="#000" d="${d}"/></svg>\n`
  );
}
