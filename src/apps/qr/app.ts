/**
 * The QR app's definition: settings `qr` (QR_*), the rosters' tables, the routes under /api/1/qr,
 * the `students` and `stalls` warm targets, `plexus import`, and a health check. The service is
 * built on first use (`plexus.apps.qr`, a route, a warm target), so a deployment that installs the
 * app but never uses it needs no QR_SECRET.
 */
import { defineApp } from '../../application/definition.js';
import { addDashboardPanel } from '../../dashboard/panels.js';
import { importCommand } from './cli/import.js';
import { qrOptions } from './config.js';
import { qrDashboardPanel } from './dashboard-panel.js';
import { QRImportError, QRNotFoundError } from './errors.js';
import { qrMigrations } from './migrations/index.js';
import { qrRoutes } from './routes.js';
import { QRService } from './service.js';
import { qrWarmTargets } from './warm-targets.js';

export const qrApp = defineApp({
  name: 'qr',
  description: 'signed QR codes for students and stalls: cached images, warming, verification',
  options: qrOptions,
  migrations: qrMigrations,
  commands: [importCommand],
  errors: { [QRNotFoundError.CODE]: 404, [QRImportError.CODE]: 400 },
  routes: qrRoutes,
  create({ config, plexus, keys, production }) {
    let service: QRService | undefined;
    const qr = () => {
      service ??= new QRService({
        config,
        production,
        db: plexus.db,
        cache: plexus.cache,
        redis: plexus.redis,
        keys,
        logger: plexus.logger,
      });
      return service;
    };
    addDashboardPanel(plexus, qrDashboardPanel(qr));
    return {
      get api() {
        return qr();
      },
      warmTargets: qrWarmTargets(config, qr),
      async health() {
        // The rosters are readable: the one thing every QR route needs besides the cache.
        await qr().repository.count('student');
        return { status: 'ok', error: null };
      },
      close: async () => service?.close(),
    };
  },
});
