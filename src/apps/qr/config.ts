/**
 * Settings of the QR app (src/apps/qr/): token signing keys and format, image defaults, cache
 * lifetime and warming. QR_SECRET is required when NODE_ENV=production (checked when the app is
 * created); elsewhere a fixed development secret is used, with a warning, so that instances of a
 * development setup agree on tokens.
 */
import { duration, loadSection, option, parse, type SectionOf, splitList } from '../../config/option.js';
import { ConfigError } from '../../errors.js';

export interface QRKeySetting {
  id: number;
  secret: string;
}

const keyId = parse.integer(0, 255);

function parseKeys(raw: unknown, setting: string): QRKeySetting[] {
  const items = splitList(raw);
  if (!Array.isArray(items)) throw new ConfigError(setting, 'expected a comma-separated list of id:secret');
  return items.map((item: unknown) => {
    if (typeof item === 'object' && item !== null && 'id' in item && 'secret' in item) {
      const { id, secret } = item as { id: unknown; secret: unknown };
      return { id: keyId(id, setting), secret: parse.string()(secret, setting) };
    }
    const match = typeof item === 'string' ? /^(\d+):(.+)$/.exec(item) : null;
    if (!match) throw new ConfigError(setting, 'expected id:secret entries (the secret itself is not shown)');
    return { id: keyId(match[1], setting), secret: match[2]! };
  });
}

export const qrOptions = {
  secret: option({
    env: 'QR_SECRET',
    default: undefined as string | undefined,
    doc: 'Secret that signs QR tokens (at least 16 characters; 32 random bytes recommended). Required when NODE_ENV=production.',
    parse: parse.optionalString(),
  }),
  keyId: option({
    env: 'QR_KEY_ID',
    default: 1,
    doc: 'Id (0-255) of QR_SECRET, written into every token so that a rotation can tell keys apart.',
    parse: keyId,
  }),
  previousKeys: option({
    env: 'QR_PREVIOUS_KEYS',
    default: [] as QRKeySetting[],
    doc: 'Retired keys whose tokens still verify during a rotation, `id:secret,id:secret` (secrets without commas).',
    parse: parseKeys,
  }),
  tokenFormat: option({
    env: 'QR_TOKEN_FORMAT',
    default: 'compact' as 'compact' | 'jwt',
    doc: 'Format of new tokens: `compact` (about 30 characters, QR version 2) or `jwt` (HS256, about 140 characters, version 7-8). Both always verify.',
    parse: parse.oneOf(['compact', 'jwt'] as const),
  }),
  errorCorrection: option({
    env: 'QR_ERROR_CORRECTION',
    default: 'M' as 'L' | 'M' | 'Q' | 'H',
    doc: 'QR error-correction level: L (7%), M (15%), Q (25%) or H (30%) of the symbol may be damaged.',
    parse: parse.oneOf(['L', 'M', 'Q', 'H'] as const),
  }),
  imageSize: option({
    env: 'QR_IMAGE_SIZE',
    default: 300,
    doc: 'Default image width in pixels; images use the largest whole number of pixels per module that fits.',
    parse: parse.integer(64, 2048),
  }),
  imageMargin: option({
    env: 'QR_IMAGE_MARGIN',
    default: 4,
    doc: 'Default quiet zone around the symbol, in modules (the QR standard asks for 4).',
    parse: parse.integer(0, 16),
  }),
  cacheTtlSeconds: duration({
    env: 'QR_CACHE_TTL_SECONDS',
    default: 86_400,
    unit: 's',
    min: 1,
    max: 31_536_000,
    doc: 'How long a generated image stays in the cache.',
  }),
  httpMaxAgeSeconds: duration({
    env: 'QR_HTTP_MAX_AGE_SECONDS',
    default: 300,
    unit: 's',
    min: 0,
    max: 31_536_000,
    doc: 'Cache-Control max-age of image responses; clients revalidate with the ETag afterwards, so a revoked code is replaced within this time.',
  }),
  warmBatchSize: option({
    env: 'QR_WARM_BATCH_SIZE',
    default: 500,
    doc: 'Students or stalls read from the database per query while warming.',
    parse: parse.integer(1, 10_000),
  }),
  warmConcurrency: option({
    env: 'QR_WARM_CONCURRENCY',
    default: 128,
    doc: 'Images being rendered or written to the cache at once while warming.',
    parse: parse.integer(1, 4096),
  }),
  warmWorkers: option({
    env: 'QR_WARM_WORKERS',
    default: 'auto' as number | 'auto',
    doc: 'Worker threads that render images while warming: a number (0 renders on the main thread) or `auto` (one per CPU beyond the first, at most 4).',
    parse: (raw, setting) =>
      typeof raw === 'string' && raw.trim().toLowerCase() === 'auto'
        ? 'auto'
        : parse.integer(0, 64)(raw, setting),
  }),
};

export type QRConfig = SectionOf<typeof qrOptions>;

export function loadQrConfig(
  env: Record<string, string | undefined> = process.env,
  explicit: Partial<QRConfig> = {},
): QRConfig {
  return loadSection('qr', qrOptions, env, explicit);
}
