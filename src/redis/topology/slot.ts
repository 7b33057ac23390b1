/**
 * Redis Cluster hash slot of a key: CRC16 (XMODEM) of the key, or of its `{hash tag}` when it has
 * a non-empty one, modulo 16384. Used to split multi-key calls by slot and to attribute per-node
 * statistics, so it runs on every Cluster call: ASCII keys (the usual case) are hashed straight
 * from the string, without encoding them into a Buffer first.
 */

const TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let crc = i << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
  TABLE[i] = crc & 0xffff;
}

export const SLOTS = 16384;

export function hashSlot(key: string | Buffer): number {
  if (typeof key === 'string') {
    const slot = asciiSlot(key);
    return slot >= 0 ? slot : bufferSlot(Buffer.from(key));
  }
  return bufferSlot(key);
}

/** The slot from the string's characters, or -1 if the hashed part is not ASCII (bytes differ). */
function asciiSlot(key: string): number {
  let from = 0;
  let to = key.length;
  const open = key.indexOf('{');
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) {
      from = open + 1;
      to = close;
    }
  }
  let crc = 0;
  for (let i = from; i < to; i++) {
    const code = key.charCodeAt(i);
    if (code > 0x7f) return -1;
    crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ code) & 0xff]!;
  }
  // Characters outside the tag do not matter: '{' and '}' never occur inside a multi-byte UTF-8
  // sequence, so the tag is found at the same place in the string as in its bytes.
  return crc % SLOTS;
}

function bufferSlot(key: Buffer): number {
  let bytes = key;
  const open = bytes.indexOf(0x7b); // {
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1); // }
    if (close > open + 1) bytes = bytes.subarray(open + 1, close);
  }
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ byte) & 0xff]!;
  return crc % SLOTS;
}
