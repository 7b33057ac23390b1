/**
 * Mask selection for QR symbols, several times faster than the `qrcode` package's own.
 *
 * The package applies each of the 8 mask patterns in turn and scores the symbol through
 * `get(row, col)` calls: about 175 µs of the 215 µs a version 2 symbol takes. Here all 8 candidates
 * are scored in one pass. Every module is a byte whose bit p is its colour under mask p (the
 * "lanes"), so one bitwise operation evaluates a rule for every mask at once, and each finding is
 * tallied in a 256-entry histogram indexed by the byte of lanes it holds for; per-mask totals are
 * read out of the histograms at the end.
 *
 * The scoring rules are the package's, to the point: N1 (3 + n for a run of 5 + n modules of one
 * colour), N2 (3 per 2×2 block of one colour), N3 (40 per 1:1:3:1:1 pattern with 4 light modules
 * on one side, within 11-module windows), N4 (10 per 5% away from half dark), first lowest wins.
 * The result is therefore exactly the symbol the package would build; the unit tests compare the
 * two module for module.
 */

const N1 = 3;
const N2 = 3;
const N3 = 40;
const N4 = 10;

const ECC_BITS = { L: 1, M: 0, Q: 3, H: 2 } as const;
export type MaskLevel = keyof typeof ECC_BITS;

const PATTERNS: ((i: number, j: number) => boolean)[] = [
  (i, j) => (i + j) % 2 === 0,
  (i) => i % 2 === 0,
  (_, j) => j % 3 === 0,
  (i, j) => (i + j) % 3 === 0,
  (i, j) => (Math.floor(i / 2) + Math.floor(j / 3)) % 2 === 0,
  (i, j) => ((i * j) % 2) + ((i * j) % 3) === 0,
  (i, j) => (((i * j) % 2) + ((i * j) % 3)) % 2 === 0,
  (i, j) => (((i * j) % 3) + ((i + j) % 2)) % 2 === 0,
];

/**
 * Per symbol size (one size per QR version, so one set of reserved modules): for each module, the
 * masks that flip it, bit p for mask p; 0 for reserved (function and format) modules.
 */
const flipTables = new Map<number, Uint8Array>();

function flipsFor(size: number, reserved: Uint8Array): Uint8Array {
  let flips = flipTables.get(size);
  if (flips === undefined) {
    flips = new Uint8Array(size * size);
    for (let i = 0; i < size; i++) {
      for (let j = 0; j < size; j++) {
        if (reserved[i * size + j]) continue;
        let byte = 0;
        for (let p = 0; p < 8; p++) if (PATTERNS[p]!(i, j)) byte |= 1 << p;
        flips[i * size + j] = byte;
      }
    }
    flipTables.set(size, flips);
  }
  return flips;
}

/** The 15 format bits (BCH(15,5), XOR 0x5412) for an error-correction level and mask. */
export function formatBits(level: MaskLevel, mask: number): number {
  const data = (ECC_BITS[level] << 3) | mask;
  let d = data << 10;
  const G15 = 0b10100110111;
  for (let bit = 14; bit >= 10; bit--) if (d & (1 << bit)) d ^= G15 << (bit - 10);
  return ((data << 10) | d) ^ 0x5412;
}

/** Per level, format bit i of every mask as one byte of lanes. */
const formatLanes = new Map<MaskLevel, Uint8Array>();

function formatLanesFor(level: MaskLevel): Uint8Array {
  let lanes = formatLanes.get(level);
  if (lanes === undefined) {
    lanes = new Uint8Array(15);
    for (let p = 0; p < 8; p++) {
      const bits = formatBits(level, p);
      for (let i = 0; i < 15; i++) lanes[i]! |= ((bits >> i) & 1) << p;
    }
    formatLanes.set(level, lanes);
  }
  return lanes;
}

/** Writes format bit i (as `values[i]`) into both copies, where the package places them. */
function writeFormat(modules: Uint8Array, size: number, values: Uint8Array): void {
  for (let i = 0; i < 15; i++) {
    const row = i < 6 ? i : i < 8 ? i + 1 : size - 15 + i;
    modules[row * size + 8] = values[i]!;
    const col = i < 8 ? size - i - 1 : i < 9 ? 15 - i : 14 - i;
    modules[8 * size + col] = values[i]!;
  }
}

/** N1 and N3 along one line (a row or a column, copied into `line`), tallied into `score`. */
function scoreLine(line: Uint8Array, core: Uint8Array, light: Uint8Array, score: Int32Array): void {
  const size = line.length;
  // same1..same5: lanes where position k equals k-1, k-1 equals k-2, ... (0 before the line starts).
  let same1 = 0;
  let same2 = 0;
  let same3 = 0;
  let same4 = 0;
  let same5 = 0;
  for (let k = 0; k < size; k++) {
    const v = line[k]!;
    same5 = same4;
    same4 = same3;
    same3 = same2;
    same2 = same1;
    same1 = k === 0 ? 0 : ~(v ^ line[k - 1]!) & 0xff;
    // A run reaches 5 modules here (+3), or goes on beyond 5 (+1 per module).
    const five = same1 & same2 & same3 & same4;
    const six = five & same5;
    score[five & ~six]! += N1;
    score[six]! += 1;
    // dark light dark dark dark light dark, ending here; and 4 light modules ending here.
    core[k] =
      k < 6
        ? 0
        : line[k - 6]! & ~line[k - 5]! & line[k - 4]! & line[k - 3]! & line[k - 2]! & ~line[k - 1]! & v;
    light[k] = k < 3 ? 0 : ~(line[k - 3]! | line[k - 2]! | line[k - 1]! | v) & 0xff;
    if (k >= 10) score[(core[k - 4]! & light[k]!) | (light[k - 7]! & core[k]!)]! += N3;
  }
}

/** Per-mask totals of a histogram: for each mask p, the sum over bytes with bit p set. */
function perMask(histogram: Int32Array): number[] {
  const totals = [0, 0, 0, 0, 0, 0, 0, 0];
  for (let byte = 1; byte < 256; byte++) {
    const count = histogram[byte]!;
    if (count === 0) continue;
    for (let p = 0; p < 8; p++) if (byte & (1 << p)) totals[p]! += count;
  }
  return totals;
}

/**
 * Given a symbol built with mask 0 (`modules` and `reserved` as the package leaves them), returns
 * its modules under the lowest-penalty mask, with that mask's format bits.
 */
export function applyBestMask(
  modules: Uint8Array,
  reserved: Uint8Array,
  size: number,
  level: MaskLevel,
): Uint8Array {
  const flips = flipsFor(size, reserved);
  const lanes = new Uint8Array(size * size);
  for (let i = 0; i < lanes.length; i++) {
    const unmasked = modules[i]! ^ (flips[i]! & 1);
    lanes[i] = (-unmasked & 0xff) ^ flips[i]!;
  }
  writeFormat(lanes, size, formatLanesFor(level));

  const score = new Int32Array(256);
  const dark = new Int32Array(256);
  const line = new Uint8Array(size);
  const core = new Uint8Array(size);
  const light = new Uint8Array(size);
  for (let row = 0; row < size; row++) {
    scoreLine(lanes.subarray(row * size, (row + 1) * size), core, light, score);
    for (let col = 0; col < size; col++) line[col] = lanes[col * size + row]!;
    scoreLine(line, core, light, score);
  }
  for (let row = 0; row < size - 1; row++) {
    for (let col = 0; col < size - 1; col++) {
      const a = lanes[row * size + col]!;
      const uniform =
        ~(
          (a ^ lanes[row * size + col + 1]!) |
          (a ^ lanes[(row + 1) * size + col]!) |
          (a ^ lanes[(row + 1) * size + col + 1]!)
        ) & 0xff;
      score[uniform]! += N2;
    }
  }
  for (let i = 0; i < lanes.length; i++) dark[lanes[i]!]!++;

  const penalties = perMask(score);
  const darkCounts = perMask(dark);
  let best = 0;
  for (let p = 0; p < 8; p++) {
    penalties[p]! += Math.abs(Math.ceil((darkCounts[p]! * 100) / lanes.length / 5) - 10) * N4;
    if (penalties[p]! < penalties[best]!) best = p;
  }
  const out = new Uint8Array(lanes.length);
  for (let i = 0; i < lanes.length; i++) out[i] = (lanes[i]! >> best) & 1;
  return out;
}
