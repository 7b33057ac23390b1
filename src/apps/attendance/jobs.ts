/**
 * The attendance app's cluster jobs (src/jobs/: each tick runs on one instance of the cluster),
 * with seed 000's periods as defaults:
 *
 *   attendance:rotation       every code period (5 s): announces the new code of every open session,
 *                             so displays hear of each rotation once per window across the cluster
 *   attendance:token-cleanup  30 s: closes sessions past their planned end, deletes device bindings
 *                             unused for ATTENDANCE_DEVICE_BINDING_TTL
 *   attendance:photo-cleanup  6 h: deletes photos past ATTENDANCE_PHOTO_RETENTION
 *   attendance:cache-cleanup  6 min: forgets stall scan ids past ATTENDANCE_SCAN_ID_RETENTION
 *
 * All skip while Redis is down (no instance can know it is alone); nothing depends on them for
 * correctness: displays poll, codes are computed, and the cleanups catch up on the next tick.
 */
import type { AppJob } from '../../application/definition.js';
import type { AttendanceConfig } from './config.js';
import type { AttendanceService } from './service.js';

export function attendanceJobs(config: AttendanceConfig, attendance: () => AttendanceService): AppJob[] {
  return [
    {
      name: 'attendance:rotation',
      every: config.codePeriodMs,
      run: ({ tick }) => attendance().rollCalls.announceRotation(tick.getTime()),
      options: { description: 'announces each open session’s new roll-call code once per window' },
    },
    {
      name: 'attendance:token-cleanup',
      every: config.tokenCleanupEvery,
      run: async () => {
        const service = attendance();
        await service.rollCalls.closeEnded();
        await service.devices.purge(config.deviceBindingTtlMs);
      },
      options: { description: 'closes ended roll calls and deletes stale device bindings' },
    },
    {
      name: 'attendance:photo-cleanup',
      every: config.photoCleanupEvery,
      run: ({ signal }) => attendance().photos.purge(config.photoRetentionMs, signal),
      options: { description: 'deletes check-in photos past their retention' },
    },
    {
      name: 'attendance:cache-cleanup',
      every: config.cacheCleanupEvery,
      run: () => attendance().stalls.forgetScans(config.scanIdRetentionMs),
      options: { description: 'forgets stall scan ids past their retention' },
    },
  ];
}
