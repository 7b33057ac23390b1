/**
 * How an entry is stored in L2: one binary string, a short header, the tags, then the payload.
 *
 *   byte 0       format: 1 strict JSON (UTF-8), 2 raw bytes (a Buffer), 3 the custom serializer
 *   bytes 1..8   fresh until, epoch milliseconds as a float64 big-endian (Infinity: never stale)
 *   bytes 9..16  usable until (fresh until + grace), the same way
 *   byte 17      number of tags n
 *   n times      uint16 big-endian length + UTF-8 tag
 *   rest         payload
 *
 * The deadlines travel with the value because Redis only knows the physical expiry (ttl + grace):
 * a reader must tell a fresh value from a stale one kept for grace, and keep the writer's grace. Tags travel too,
 * so that every instance can drop its L1 copies when a tag is deleted elsewhere.
 *
 * The default JSON is strict: values JSON would silently change (functions, symbols, NaN,
 * Infinity, Map, Set, typed arrays inside objects) or cannot encode (BigInt, cycles, a top-level
 * `undefined`) throw CACHE_UNSERIALIZABLE instead of being stored altered.
 */
import { CacheSerializationError } from './errors.js';
import type { Serializer } from './types.js';

const JSON_FORMAT = 1;
const BYTES_FORMAT = 2;
const CUSTOM_FORMAT = 3;
const HEADER = 18;

export interface DecodedEntry {
  value: unknown;
  freshUntil: number;
  staleUntil: number;
  tags: readonly string[];
  /** Size of the stored form, used for L1's byte budget. */
  bytes: number;
}

export class EntryCodec {
  constructor(private readonly serializer: Serializer | undefined) {}

  encode(value: unknown, freshUntil: number, staleUntil: number, tags: readonly string[]): Buffer {
    let format: number;
    let payload: Buffer | string;
    if (this.serializer !== undefined) {
      format = CUSTOM_FORMAT;
      payload = this.#custom(value);
    } else if (value instanceof Uint8Array) {
      format = BYTES_FORMAT;
      payload = Buffer.isBuffer(value)
        ? value
        : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    } else {
      format = JSON_FORMAT;
      payload = strictJson(value);
    }
    let size = HEADER + (typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length);
    for (const tag of tags) size += 2 + Buffer.byteLength(tag);
    const out = Buffer.allocUnsafe(size);
    out[0] = format;
    out.writeDoubleBE(freshUntil, 1);
    out.writeDoubleBE(staleUntil, 9);
    out[17] = tags.length;
    let at = HEADER;
    for (const tag of tags) {
      const length = out.write(tag, at + 2);
      out.writeUInt16BE(length, at);
      at += 2 + length;
    }
    if (typeof payload === 'string') out.write(payload, at);
    else payload.copy(out, at);
    return out;
  }

  /** Throws CacheSerializationError on a malformed entry or one the serializer cannot read. */
  decode(data: Buffer): DecodedEntry {
    if (data.length < HEADER) throw new CacheSerializationError('Cache entry is truncated');
    const format = data[0];
    const freshUntil = data.readDoubleBE(1);
    const staleUntil = data.readDoubleBE(9);
    const count = data[17]!;
    const tags: string[] = [];
    let at = HEADER;
    for (let i = 0; i < count; i++) {
      if (at + 2 > data.length) throw new CacheSerializationError('Cache entry is truncated');
      const length = data.readUInt16BE(at);
      tags.push(data.toString('utf8', at + 2, at + 2 + length));
      at += 2 + length;
    }
    return { value: this.#payload(format, data, at), freshUntil, staleUntil, tags, bytes: data.length };
  }

  #payload(format: number | undefined, data: Buffer, at: number): unknown {
    try {
      if (format === JSON_FORMAT) return JSON.parse(data.toString('utf8', at));
      if (format === BYTES_FORMAT) return data.subarray(at);
      if (format === CUSTOM_FORMAT && this.serializer !== undefined) {
        return this.serializer.deserialize(data.subarray(at));
      }
    } catch (error) {
      throw new CacheSerializationError('Cache entry cannot be decoded', { cause: error });
    }
    throw new CacheSerializationError(`Cache entry has an unknown format (${format})`);
  }

  #custom(value: unknown): Buffer | string {
    try {
      return this.serializer!.serialize(value);
    } catch (error) {
      if (error instanceof CacheSerializationError) throw error;
      throw new CacheSerializationError(`The serializer refused the value: ${message(error)}`, {
        cause: error,
      });
    }
  }
}

function strictJson(value: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value, strictReplacer);
  } catch (error) {
    if (error instanceof CacheSerializationError) throw error;
    // Cycles (TypeError: Converting circular structure) and throwing toJSON methods.
    throw new CacheSerializationError(`Value cannot be serialized: ${message(error)}`, { cause: error });
  }
  if (json === undefined) {
    throw new CacheSerializationError(`Value cannot be serialized: ${typeof value} (use null for "nothing")`);
  }
  return json;
}

function strictReplacer(this: unknown, key: string, value: unknown): unknown {
  switch (typeof value) {
    case 'function':
    case 'symbol':
    case 'bigint':
      return refuse(key, typeof value);
    case 'number':
      return Number.isFinite(value) ? value : refuse(key, String(value));
    case 'object':
      if (value === null) return value;
      if (value instanceof Map || value instanceof Set) return refuse(key, value.constructor.name);
      // toJSON has already run (a Buffer arrives as {type, data}); the holder still has the original.
      if (key !== '' && ArrayBuffer.isView((this as Record<string, unknown>)[key])) {
        return refuse(key, 'binary data inside an object (store it alone, or use a custom serializer)');
      }
      return value;
    default:
      return value;
  }
}

function refuse(key: string, what: string): never {
  const where = key === '' ? 'the value' : `property ${JSON.stringify(key)}`;
  throw new CacheSerializationError(`Value cannot be stored as JSON: ${where} is ${what}`);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
