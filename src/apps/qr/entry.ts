/**
 * How a QR image is stored in the Plexus cache: one Buffer (the cache stores Buffers as raw
 * bytes), so a cached PNG costs its own size plus about 60 bytes.
 *
 *   byte 0     layout version (1)
 *   byte 1     token length t
 *   t bytes    the token (ASCII)
 *   byte       ETag length e
 *   e bytes    the ETag, quoted (ASCII)
 *   rest       the image
 *
 * The token travels with the image so that a cached image is served with the token it encodes,
 * without a database read. Decoded views are memoized per Buffer: the in-process cache tier hands
 * back the same Buffer on every hit, so a hot image is parsed once.
 */
const LAYOUT = 1;

export interface QREntry {
  token: string;
  etag: string;
  body: Buffer;
}

export function encodeEntry(entry: QREntry): Buffer {
  const token = Buffer.from(entry.token, 'latin1');
  const etag = Buffer.from(entry.etag, 'latin1');
  if (token.length > 255 || etag.length > 255) throw new RangeError('QR token or ETag longer than 255 bytes');
  return Buffer.concat([
    Buffer.from([LAYOUT, token.length]),
    token,
    Buffer.from([etag.length]),
    etag,
    entry.body,
  ]);
}

const decoded = new WeakMap<Buffer, QREntry>();

/** The entry, or undefined when `data` is not one (another layout version, or damaged). */
export function decodeEntry(data: unknown): QREntry | undefined {
  if (!Buffer.isBuffer(data)) return undefined;
  const known = decoded.get(data);
  if (known !== undefined) return known;
  if (data[0] !== LAYOUT || data.length < 3) return undefined;
  const tokenEnd = 2 + data[1]!;
  const etagEnd = tokenEnd + 1 + (data[tokenEnd] ?? 0);
  if (etagEnd >= data.length) return undefined;
  const entry = {
    token: data.toString('latin1', 2, tokenEnd),
    etag: data.toString('latin1', tokenEnd + 1, etagEnd),
    body: data.subarray(etagEnd),
  };
  decoded.set(data, entry);
  return entry;
}
