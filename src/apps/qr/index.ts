/**
 * The QR app (issue 7, seed 001): signed student and stall codes, cached images, warming and
 * verification. Install it with `createPlexus({ apps: [qrApp] })` (the reference server installs it
 * unless PLEXUS_APPS leaves it out); its API is then `plexus.apps.qr`, its routes are under
 * /api/1/qr, and `plexus warm-cache students|stalls` and `plexus import students|stalls FILE.csv`
 * drive it from the command line.
 */
export { qrApp } from './app.js';
export { type QRConfig, qrOptions } from './config.js';
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
export { QR_WARM_TARGETS, qrWarmTargets } from './warm-targets.js';
