/**
 * QR images, cache-first. Each student and stall has its images in the Plexus cache, namespaces
 * `qr/students` and `qr/stalls`, one entry per variant:
 *
 *   <id>:<key fingerprint>:<format>:<size>:<margin>      e.g. 24817:k1cM:png:300:4
 *
 * The fingerprint (signing key id, token format, error-correction level) changes when any of them
 * does, so a key rotation or a format switch never serves images of the previous configuration.
 * A miss reads the record from the database, signs the token and renders the image (about 0.1 ms),
 * and stores it for QR_CACHE_TTL_SECONDS; concurrent misses for one image share one load. When
 * Redis is down the cache answers from process memory and images are rendered on demand.
 *
 * Variants other than the configured default PNG and SVG carry the subject's id as a cache tag, so
 * that `invalidate()` reaches every size ever requested; the defaults are deleted by key, which
 * keeps warming (25,000 default PNGs) free of tag bookkeeping.
 */
import type { CacheNamespace } from '../../cache/index.js';
import type { QRConfig } from './config.js';
import type { QRRepository, SubjectRecord } from './db/repository.js';
import { decodeEntry, encodeEntry, type QREntry } from './entry.js';
import { QRNotFoundError } from './errors.js';
import type { RenderJob } from './image/pool.js';
import {
  checkImageOptions,
  type ImageFormat,
  type ImageOptions,
  type RenderedImage,
  renderImage,
} from './image/render.js';
import type { QRTokens } from './tokens/index.js';
import { SUBJECT_ID_PATTERN, type SubjectType } from './tokens/types.js';

export interface QRImage extends QREntry {
  format: ImageFormat;
  /** True when the image came from the cache, false when this call generated it. */
  cached: boolean;
}

/** Renders on this thread (`renderImage`) or in a worker (`RenderPool.render`). */
export type Renderer = (job: RenderJob) => RenderedImage | Promise<RenderedImage>;

const renderHere: Renderer = (job) => renderImage(job.token, job.options, job.errorCorrection);

export interface QRImagesOptions {
  config: QRConfig;
  tokens: QRTokens;
  repository: QRRepository;
  namespaces: Record<SubjectType, CacheNamespace>;
}

export class QRImages {
  readonly #config: QRConfig;
  readonly #tokens: QRTokens;
  readonly #repository: QRRepository;
  readonly #namespaces: Record<SubjectType, CacheNamespace>;
  readonly #fingerprint: string;
  readonly #ttl: number;
  readonly #untagged: { ttl: number; tags: readonly string[] };

  constructor(options: QRImagesOptions) {
    this.#config = options.config;
    this.#tokens = options.tokens;
    this.#repository = options.repository;
    this.#namespaces = options.namespaces;
    const format = options.tokens.format === 'jwt' ? 'j' : 'c';
    this.#fingerprint = `k${options.tokens.keyring.signing.id}${format}${options.config.errorCorrection}`;
    this.#ttl = options.config.cacheTtlSeconds * 1000;
    this.#untagged = { ttl: this.#ttl, tags: [] };
  }

  /** The configured default options for a format. */
  defaults(format: ImageFormat = 'png'): ImageOptions {
    return { format, size: this.#config.imageSize, margin: this.#config.imageMargin };
  }

  cacheKey(id: string, options: ImageOptions): string {
    return `${id}:${this.#fingerprint}:${options.format}:${options.size}:${options.margin}`;
  }

  namespace(type: SubjectType): CacheNamespace {
    return this.#namespaces[type];
  }

  /**
   * The image when this instance's in-process cache can answer without I/O, else undefined (then
   * `get`). Options are the caller's to have checked (`checkImageOptions`).
   */
  atHand(type: SubjectType, id: string, options: ImageOptions): QRImage | undefined {
    const entry = this.entryAtHand(type, id, options);
    if (entry === undefined) return undefined;
    return { token: entry.token, etag: entry.etag, body: entry.body, format: options.format, cached: true };
  }

  /** Like `atHand`, the cached entry itself: the same object for as long as the same bytes are cached. */
  entryAtHand(type: SubjectType, id: string, options: ImageOptions): QREntry | undefined {
    return decodeEntry(this.#namespaces[type].peek(this.cacheKey(id, options)));
  }

  /** The image of a student or stall; QR_NOT_FOUND when there is none with this id. */
  async get(type: SubjectType, id: string, options: ImageOptions = this.defaults()): Promise<QRImage> {
    checkImageOptions(options);
    if (!SUBJECT_ID_PATTERN.test(id)) throw new QRNotFoundError(type, id);
    const ns = this.#namespaces[type];
    const key = this.cacheKey(id, options);
    let cached = true;
    const load = async (): Promise<Buffer> => {
      cached = false;
      const record = await this.#repository.find(type, id);
      if (record === undefined) throw new QRNotFoundError(type, id);
      return this.entryFor(record, options, renderHere);
    };
    const entryOptions = this.#isDefault(options) ? this.#untagged : { ttl: this.#ttl, tags: [id] };
    let entry = decodeEntry(await ns.getOrSet(key, load, entryOptions));
    if (entry === undefined) {
      // Written by an incompatible version, or damaged: replace it.
      await ns.delete(key);
      entry = decodeEntry(await ns.getOrSet(key, load, entryOptions))!;
    }
    return { token: entry.token, etag: entry.etag, body: entry.body, format: options.format, cached };
  }

  /** Signs the record's token and renders it: the value stored in the cache. */
  async entryFor(record: SubjectRecord, options: ImageOptions, render: Renderer): Promise<Buffer> {
    const token = this.#tokens.issue({ type: record.type, id: record.id, version: record.tokenVersion });
    const image = await render({ token, options, errorCorrection: this.#config.errorCorrection });
    return encodeEntry({ token, etag: image.etag, body: image.body });
  }

  /** Removes every cached image of one student or stall, on every instance; resolves to how many. */
  async invalidate(type: SubjectType, id: string): Promise<number> {
    const ns = this.#namespaces[type];
    const [png, svg, tagged] = await Promise.all([
      ns.delete(this.cacheKey(id, this.defaults('png'))),
      ns.delete(this.cacheKey(id, this.defaults('svg'))),
      ns.deleteByTag(id),
    ]);
    return Number(png) + Number(svg) + tagged;
  }

  #isDefault(options: ImageOptions): boolean {
    return options.size === this.#config.imageSize && options.margin === this.#config.imageMargin;
  }
}
