/**
 * The attendance app's definition (issue 16; seeds 000 and 001): settings `attendance`
 * (ATTENDANCE_*), its tables, the API under /api/1/attendance and the pages under /attendance,
 * four cluster jobs, and a health check. It builds on the QR app (student and stall records,
 * their tokens, the image renderer), which must be installed before it. The service is built on
 * first use, like the QR app's.
 */
import { defineApp } from '../../application/definition.js';
import { addDashboardPanel } from '../../dashboard/panels.js';
import { ConfigError } from '../../errors.js';
import { QRService } from '../qr/service.js';
import type { Announcer } from './announcer.js';
import { attendanceOptions } from './config.js';
import { attendanceDashboardPanel } from './dashboard-panel.js';
import { ATTENDANCE_ERRORS } from './errors.js';
import { attendanceJobs } from './jobs.js';
import { attendanceMigrations } from './migrations/index.js';
import { attendanceEndpoint, displayEndpoint } from './realtime.js';
import { attendanceApiRoutes } from './routes/api.js';
import { attendancePageRoutes } from './routes/pages.js';
import { AttendanceService } from './service.js';

export interface AttendanceAppOptions {
  /** Where announcements go (default: the app's realtime endpoint, `RealtimeAnnouncer`). */
  announcer?: Announcer;
}

/** The attendance app with its defaults; `createAttendanceApp({ announcer })` to choose where announcements go. */
export function createAttendanceApp(options: AttendanceAppOptions = {}) {
  return defineApp({
    name: 'attendance',
    description: 'roll calls with rotating codes, device-bound check-ins, stall check-in/out, their pages',
    options: attendanceOptions,
    migrations: attendanceMigrations,
    errors: ATTENDANCE_ERRORS,
    create({ config, plexus, production, apps }) {
      // Checked now, without building the QR service (its API is a lazy getter).
      if (!('qr' in apps))
        throw new ConfigError('apps', 'the attendance app needs the qr app, installed before it');
      const qr = () => {
        const found: unknown = apps.qr;
        if (!(found instanceof QRService)) {
          throw new ConfigError('apps', 'the attendance app needs the qr app, installed before it');
        }
        return found;
      };
      // The pages' WebSocket endpoints (./realtime.ts), defined whatever the announcer.
      attendanceEndpoint(plexus.realtime);
      displayEndpoint(plexus.realtime);
      let service: AttendanceService | undefined;
      const attendance = () => {
        service ??= new AttendanceService({ config, production, plexus, qr, announcer: options.announcer });
        return service;
      };
      addDashboardPanel(plexus, attendanceDashboardPanel(attendance));
      return {
        get api() {
          return attendance();
        },
        jobs: attendanceJobs(config, attendance),
        async health() {
          await attendance().rollCalls.openSessions();
          return { status: 'ok', error: null };
        },
      };
    },
    async routes(app, context, attendance) {
      attendanceApiRoutes(app, context, attendance);
      attendancePageRoutes(app);
    },
  });
}

export const attendanceApp = createAttendanceApp();
