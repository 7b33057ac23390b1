/**
 * The attendance app's API (`plexus.apps.attendance`): roll calls (`rollCalls`), stalls
 * (`stalls`), photos and device bindings, built over the Plexus cache and database and the QR
 * app (student records, tokens, the image renderer). Announcements go to the app's realtime
 * endpoint by default (./realtime.ts); `announcer` may be replaced at any time (`setAnnouncer`).
 */
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { PlexusCore } from '../../application/definition.js';
import { ConfigError } from '../../errors.js';
import type { QRService } from '../qr/service.js';
import type { Announcer } from './announcer.js';
import { RotatingCodes } from './codes.js';
import type { AttendanceConfig } from './config.js';
import type { AttendanceTables } from './db/tables.js';
import { Devices } from './devices.js';
import { DisplayLinks } from './display-links.js';
import { DirectoryStorage, type PhotoStorage, Photos } from './photos.js';
import { attendanceEndpoint, displayEndpoint, RealtimeAnnouncer } from './realtime.js';
import { RollCalls } from './roll-calls.js';
import { Stalls } from './stalls.js';

/** Used when ATTENDANCE_SECRET is unset outside production, so that development instances agree. */
const DEVELOPMENT_SECRET = 'plexus-development-attendance-secret-do-not-use';

export interface AttendanceServiceOptions {
  config: AttendanceConfig;
  production: boolean;
  plexus: PlexusCore;
  /** The QR app's service (student and stall records, tokens, renderer). */
  qr: () => QRService;
  announcer?: Announcer;
  photoStorage?: PhotoStorage;
}

export class AttendanceService {
  readonly config: AttendanceConfig;
  readonly rollCalls: RollCalls;
  readonly stalls: Stalls;
  readonly devices: Devices;
  readonly photos: Photos;
  readonly displayLinks: DisplayLinks;
  readonly qr: () => QRService;
  #announcer: Announcer;

  constructor(options: AttendanceServiceOptions) {
    const { config, plexus } = options;
    this.config = config;
    if (config.secret === undefined && options.production) {
      throw new ConfigError(
        'ATTENDANCE_SECRET',
        'NODE_ENV is production and roll-call codes would be signed with a public key',
      );
    }
    if (config.secret === undefined) {
      plexus.logger.warn(
        {},
        'ATTENDANCE_SECRET is not set: roll-call codes are signed with the development secret',
      );
    }
    const codes = new RotatingCodes({
      current: { id: config.keyId, secret: config.secret ?? DEVELOPMENT_SECRET },
      previous:
        config.previousSecret === undefined
          ? undefined
          : { id: config.previousKeyId, secret: config.previousSecret },
      periodMs: config.codePeriodMs,
      skewMs: config.clockSkewMs,
    });
    const db = plexus.db.kysely.withTables<AttendanceTables>() as unknown as Kysely<AttendanceTables>;
    const cache = plexus.cache.namespace('attendance');
    this.qr = options.qr;
    this.devices = new Devices(db, cache.namespace('devices'), config.deviceCacheTtlMs);
    this.rollCalls = new RollCalls({
      db,
      codes,
      sessionCache: cache.namespace('sessions'),
      devices: this.devices,
      announcer: () => this.#announcer,
      engine: plexus.db.engine,
    });
    this.displayLinks = new DisplayLinks({
      db,
      session: (id) => this.rollCalls.session(id),
      isOpen: (session) => this.rollCalls.isOpen(session),
    });
    const displays = {
      endpoint: displayEndpoint(plexus.realtime),
      active: (id: string) => this.displayLinks.active(id),
    };
    this.#announcer =
      options.announcer ?? new RealtimeAnnouncer(attendanceEndpoint(plexus.realtime), displays);
    this.stalls = new Stalls(db, plexus.db.engine, options.qr);
    const dir = config.photoDir ?? join(plexus.config.db.dataDir, 'attendance-photos');
    this.photos = new Photos(db, options.photoStorage ?? new DirectoryStorage(dir), config.photoMaxBytes);
  }

  get announcer(): Announcer {
    return this.#announcer;
  }

  /** Replaces where announcements go (e.g. a `BusAnnouncer`, a test's recorder). */
  setAnnouncer(announcer: Announcer): void {
    this.#announcer = announcer;
  }
}
