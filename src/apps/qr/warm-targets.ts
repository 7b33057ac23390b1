/** The QR app's cache warm targets, as `plexus warm-cache` lists and runs them. */
import type { WarmTarget } from '../../cache/index.js';
import type { QRConfig } from './config.js';
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
