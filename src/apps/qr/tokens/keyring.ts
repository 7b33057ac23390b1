/**
 * The signing keys of QR tokens. Every key has a small numeric id (0–255) that travels inside each
 * token, so that during a rotation codes signed with the previous key still verify: configure the
 * new key as QR_SECRET/QR_KEY_ID, move the old one to QR_PREVIOUS_KEYS, re-warm, and drop the old
 * key once every printed or cached code has been replaced.
 *
 * JWTs are signed with the raw secret, so that any HS256 library can verify them. Compact tokens
 * use a key derived from it (HMAC of a fixed label), which keeps the two formats from ever sharing
 * a MAC input space.
 */
import { createHmac } from 'node:crypto';
import { ConfigError } from '../../../errors.js';

export interface QRKey {
  readonly id: number;
  /** The configured secret, used as is for HS256. */
  readonly secret: Buffer;
  /** HMAC-SHA256 key for compact tokens. */
  readonly compactKey: Buffer;
}

export interface KeySpec {
  id: number;
  secret: string;
}

export const MIN_SECRET_LENGTH = 16;

function makeKey(spec: KeySpec): QRKey {
  if (!Number.isInteger(spec.id) || spec.id < 0 || spec.id > 255) {
    throw new ConfigError('QR_KEY_ID', `key ids are whole numbers from 0 to 255, got ${spec.id}`);
  }
  if (spec.secret.length < MIN_SECRET_LENGTH) {
    throw new ConfigError('QR_SECRET', `secrets must be at least ${MIN_SECRET_LENGTH} characters long`, {
      details: { keyId: spec.id },
    });
  }
  const secret = Buffer.from(spec.secret, 'utf8');
  const compactKey = createHmac('sha256', secret).update('plexus-qr compact token v1').digest();
  return { id: spec.id, secret, compactKey };
}

export class Keyring {
  readonly signing: QRKey;
  readonly #byId = new Map<number, QRKey>();

  constructor(current: KeySpec, previous: readonly KeySpec[] = []) {
    this.signing = makeKey(current);
    for (const key of [this.signing, ...previous.map(makeKey)]) {
      if (this.#byId.has(key.id)) {
        throw new ConfigError('QR_PREVIOUS_KEYS', `key id ${key.id} is used twice`);
      }
      this.#byId.set(key.id, key);
    }
  }

  /** The key with this id, when it is still accepted. */
  find(id: number): QRKey | undefined {
    return this.#byId.get(id);
  }

  get ids(): number[] {
    return [...this.#byId.keys()];
  }
}
