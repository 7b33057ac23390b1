/**
 * The QR app (issue 7, seed 001): signed student and stall codes, cached images, warming and
 * verification. `createPlexus()` exposes it as `plexus.qr` (built on first use, so deployments
 * that do not use it need no QR_SECRET), its routes are in the reference server, and
 * `plexus warm-cache students|stalls` and `plexus import students|stalls FILE.csv` drive it from
 * the command line.
 */
import type { WarmTarget } from '../../cache/index.js';
import type { QRConfig } from '../../config/qr.js';
import type { QRService } from './service.js';
import type { SubjectType } from './tokens/types.js';

/** Names of the warm targets, as `plexus warm-cache` lists them. */
export const QR_WARM_TARGETS: Record<SubjectType, string> = { student: 'students', stall: 'stalls' };

/**
 * The `students` and `stalls` warm targets: the default PNG of every record. `service` is called
 * only when a target runs.
 */
export function qrWarmTargets(config: QRConfig, service: () => QRService): WarmTarget[] {
  return (['student', 'stall'] as const).map((type) => ({
    name: QR_WARM_TARGETS[type],
    description: `default PNG QR code of every ${type}`,
    namespace: `qr/${QR_WARM_TARGETS[type]}`,
    keys: () => service().warmer.keys(type, ['png']),
    count: () => service().repository.count(type),
    load: (key: string) => service().warmer.load(type, key),
    options: { ttl: config.cacheTtlSeconds * 1000 },
  }));
}

export { QRRepository, type SubjectRecord } from './db/repository.js';
export { QRImportError, QRNotFoundError } from './errors.js';
export type { ImageFormat, ImageOptions } from './image/render.js';
export type { QRImage } from './images.js';
export { type ImportOptions, importRoster, type RosterImportReport } from './import/importer.js';
export type { SkippedRow } from './import/roster.js';
export type { WarmJob, WarmJobState } from './jobs.js';
export { qrRoutes } from './routes.js';
export {
  type QRCacheStats,
  type QRResult,
  QRService,
  type QRServiceOptions,
  type SubjectCacheStats,
  type VerifyError,
  type VerifyResult,
} from './service.js';
export { Keyring, QRTokens, type SubjectType, type TokenCheck, type TokenSubject } from './tokens/index.js';
export type { QRWarmOptions } from './warm.js';
