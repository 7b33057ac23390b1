/**
 * The QR service of seed 001: signed, static codes for students and stalls, served cache-first,
 * warmed ahead of an event, verified at the stalls. Method names follow the seed's API
 * (`getStudentQRById`, `verifyStudentQRToken`, `warmStudentQRCache`, ...).
 *
 * Data flow: routes and the CLI → this service → the Plexus cache (images) and database (rosters,
 * token versions). Verification reads the database every time, so a revocation (which bumps the
 * subject's token version) takes effect on every instance at once; cached images of a revoked code
 * are deleted on every instance, and again a second later in case a load that read the old version
 * was still writing.
 */
import type { Cache, CacheNamespace, WarmReport } from '../../cache/index.js';
import type { Database } from '../../db/index.js';
import { ConfigError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { Keys } from '../../redis/keys.js';
import type { RedisLayer } from '../../redis/layer.js';
import type { QRConfig } from './config.js';
import { QRRepository } from './db/repository.js';
import { QRNotFoundError } from './errors.js';
import { checkImageOptions, type ImageOptions } from './image/render.js';
import { type QRImage, QRImages } from './images.js';
import { type ImportOptions, importRoster, type RosterImportReport } from './import/importer.js';
import { WarmJobs } from './jobs.js';
import { Keyring, QRTokens } from './tokens/index.js';
import type { SubjectType } from './tokens/types.js';
import { type NamespaceUsage, namespaceUsage } from './usage.js';
import { QRWarmer, type QRWarmOptions } from './warm.js';

/** Used when QR_SECRET is unset outside production, so that development instances agree. */
const DEVELOPMENT_SECRET = 'plexus-development-qr-secret-do-not-use-in-production';

/** How long after a revocation its cached images are deleted a second time. */
const SECOND_INVALIDATION_MS = 1_000;

export interface QRServiceOptions {
  config: QRConfig;
  /** NODE_ENV is production: QR_SECRET is then required. */
  production: boolean;
  db: Database;
  cache: Cache;
  redis: RedisLayer;
  /** The app's Redis key namespace (`redis.keys.app('qr')` when installed by `createPlexus`). */
  keys: Keys;
  logger: Logger;
}

/** `getStudentQRById` / `getStallQRById`, as seed 001 returns them. */
export interface QRResult {
  success: true;
  qr_token: string;
  /** `data:image/png;base64,...` */
  qr_image: string;
  cached: boolean;
}

export type VerifyError = 'malformed' | 'tampered' | 'revoked' | 'unknown';

export type VerifyResult =
  | { valid: true; type: SubjectType; id: string; name: string }
  | { valid: false; error: VerifyError };

export interface QRCacheStats {
  /** True when the images are shared through Redis; false in memory mode or while Redis is down. */
  connected: boolean;
  totalQRsCached: number;
  /** Bytes the cached images take in Redis. */
  bytes: number;
  hitRate: number;
  students: SubjectCacheStats;
  stalls: SubjectCacheStats;
}

export interface SubjectCacheStats extends NamespaceUsage {
  hits: number;
  misses: number;
  hitRate: number;
  /** Counters cover every instance (through Redis) rather than this one. */
  clusterWide: boolean;
}

export class QRService {
  readonly config: QRConfig;
  readonly tokens: QRTokens;
  readonly repository: QRRepository;
  readonly images: QRImages;
  readonly warmer: QRWarmer;
  readonly jobs: WarmJobs;
  readonly #cache: Cache;
  readonly #redis: RedisLayer;
  readonly #root: CacheNamespace;
  /** Second deletions of revoked codes still to run: each timer with what settles when it ran. */
  readonly #secondRounds = new Map<NodeJS.Timeout, () => void>();
  readonly #secondRoundsDone = new Set<Promise<void>>();

  constructor(options: QRServiceOptions) {
    const { config, logger } = options;
    this.config = config;
    if (config.secret === undefined && options.production) {
      throw new ConfigError(
        'QR_SECRET',
        'NODE_ENV is production and QR codes would be signed with a public key; set a secret of 16 or more characters',
      );
    }
    if (config.secret === undefined) {
      logger.warn({}, 'QR_SECRET is not set: QR codes are signed with the development secret');
    }
    const keyring = new Keyring(
      { id: config.keyId, secret: config.secret ?? DEVELOPMENT_SECRET },
      config.previousKeys,
    );
    this.tokens = new QRTokens(keyring, config.tokenFormat);
    this.repository = new QRRepository(options.db);
    this.#cache = options.cache;
    this.#redis = options.redis;
    this.#root = options.cache.namespace('qr');
    this.images = new QRImages({
      config,
      tokens: this.tokens,
      repository: this.repository,
      namespaces: { student: this.#root.namespace('students'), stall: this.#root.namespace('stalls') },
    });
    this.warmer = new QRWarmer(config, this.images, this.repository, logger);
    this.jobs = new WarmJobs(this.warmer, options.redis, options.keys, logger);
  }

  getStudentQRById(id: string, options?: Partial<ImageOptions>): Promise<QRResult> {
    return this.#result('student', id, options);
  }

  getStallQRById(id: string, options?: Partial<ImageOptions>): Promise<QRResult> {
    return this.#result('stall', id, options);
  }

  /** The image itself (PNG by default); QR_NOT_FOUND when there is no such student or stall. */
  /**
   * The image when it is at hand (in this instance's cache, no I/O), else undefined: then
   * `getImage`. Throws like `getImage` for options out of range.
   */
  imageAtHand(type: SubjectType, id: string, options: ImageOptions): QRImage | undefined {
    checkImageOptions(options);
    return this.images.atHand(type, id, options);
  }

  getImage(type: SubjectType, id: string, options: Partial<ImageOptions> = {}): Promise<QRImage> {
    return this.images.get(type, id, { ...this.images.defaults(options.format), ...options });
  }

  /** Checks a scanned token of either kind. Never throws for a bad token; database errors do throw. */
  async verifyQRToken(token: unknown): Promise<VerifyResult> {
    if (typeof token !== 'string') return { valid: false, error: 'malformed' };
    const check = this.tokens.check(token);
    if (!check.ok) return { valid: false, error: check.error };
    const { type, id, version } = check.subject;
    const record = await this.repository.find(type, id);
    if (record === undefined) return { valid: false, error: 'unknown' };
    if (record.tokenVersion !== version) return { valid: false, error: 'revoked' };
    return { valid: true, type, id, name: record.name };
  }

  /** Like `verifyQRToken`, for student codes only: a stall's code is `unknown` here. */
  async verifyStudentQRToken(token: unknown): Promise<VerifyResult> {
    const result = await this.verifyQRToken(token);
    return result.valid && result.type !== 'student' ? { valid: false, error: 'unknown' } : result;
  }

  /** Revokes every code issued so far for a student or stall; resolves to the new token version. */
  async revoke(type: SubjectType, id: string): Promise<number> {
    const version = await this.repository.bumpVersion(type, id);
    if (version === undefined) throw new QRNotFoundError(type, id);
    await this.images.invalidate(type, id);
    this.#scheduleSecondRound(type, id);
    return version;
  }

  /**
   * Resolves once the second deletions of the codes revoked so far have run (about a second after
   * each revocation). Images cached before then may still be deleted by them.
   */
  async revocationsSettled(): Promise<void> {
    await Promise.all([...this.#secondRoundsDone]);
  }

  #scheduleSecondRound(type: SubjectType, id: string): void {
    let settle = () => {};
    const done = new Promise<void>((resolve) => {
      settle = resolve;
    });
    const finish = () => {
      this.#secondRoundsDone.delete(done);
      settle();
    };
    this.#secondRoundsDone.add(done);
    const timer = setTimeout(() => {
      this.#secondRounds.delete(timer);
      this.images.invalidate(type, id).then(finish, finish);
    }, SECOND_INVALIDATION_MS);
    timer.unref();
    this.#secondRounds.set(timer, finish);
  }

  warmStudentQRCache(options?: QRWarmOptions): Promise<WarmReport> {
    return this.warmer.warm('student', options);
  }

  warmStallQRCache(options?: QRWarmOptions): Promise<WarmReport> {
    return this.warmer.warm('stall', options);
  }

  /** Without a subject, empties the whole QR cache on every instance; resolves to how many images. */
  async clearQRCache(subject?: { type: SubjectType; id: string }): Promise<number> {
    if (subject === undefined) return this.#root.clear();
    return this.images.invalidate(subject.type, subject.id);
  }

  async getQRCacheStats(): Promise<QRCacheStats> {
    const connected = this.#redis.usingRedis;
    const stats = await this.#cache.stats();
    const counters = stats.cluster?.namespaces ?? stats.instance.namespaces;
    const subject = async (type: SubjectType): Promise<SubjectCacheStats> => {
      const ns = this.images.namespace(type).name;
      const c = counters[ns];
      const local = stats.instance.namespaces[ns];
      const usage: NamespaceUsage = connected
        ? await namespaceUsage(this.#redis, ns)
        : { entries: local?.l1Entries ?? 0, bytes: local?.l1Bytes ?? 0, sampled: 0 };
      const hits = (c?.l1Hits ?? 0) + (c?.l2Hits ?? 0);
      const misses = c?.misses ?? 0;
      return { ...usage, hits, misses, hitRate: rate(hits, misses), clusterWide: stats.cluster !== null };
    };
    const [students, stalls] = await Promise.all([subject('student'), subject('stall')]);
    return {
      connected,
      totalQRsCached: students.entries + stalls.entries,
      bytes: students.bytes + stalls.bytes,
      hitRate: rate(students.hits + stalls.hits, students.misses + stalls.misses),
      students,
      stalls,
    };
  }

  /** Imports a roster CSV: good rows are inserted or renamed, bad rows listed with the reason. */
  importRoster(type: SubjectType, csv: string, options?: ImportOptions): Promise<RosterImportReport> {
    return importRoster(this.repository, type, csv, options);
  }

  async close(): Promise<void> {
    for (const [timer, finish] of this.#secondRounds) {
      clearTimeout(timer);
      finish();
    }
    this.#secondRounds.clear();
    await this.jobs.settled();
    await this.warmer.close();
  }

  async #result(type: SubjectType, id: string, options: Partial<ImageOptions> = {}): Promise<QRResult> {
    const image = await this.getImage(type, id, { ...options, format: 'png' });
    return {
      success: true,
      qr_token: image.token,
      qr_image: `data:image/png;base64,${image.body.toString('base64')}`,
      cached: image.cached,
    };
  }
}

function rate(hits: number, misses: number): number {
  return hits + misses === 0 ? 0 : hits / (hits + misses);
}
