/**
 * The QR app's panel on the admin dashboard (registered from the app's `create` through
 * `addDashboardPanel`; the dashboard knows nothing of QR): rosters, cached images and hit rates
 * (`getQRCacheStats`), and warming — start a job for a roster (as `POST /api/1/qr/warm` does) and
 * follow the last one started from the panel, or any job by id.
 */
import type { DashboardPanel, PanelView } from '../../dashboard/panels.js';
import type { WarmJob } from './jobs.js';
import type { QRService } from './service.js';

const percent = (ratio: number) => `${Math.round(ratio * 1000) / 10}%`;

function jobRows(job: WarmJob): (string | number | null)[][] {
  return (['students', 'stalls'] as const)
    .filter((roster) => job[roster] !== null)
    .map((roster) => {
      const p = job[roster]!;
      return [job.id, roster, job.state, p.done, p.total, p.loaded, p.skipped, p.failed, p.rate];
    });
}

export function qrDashboardPanel(qr: () => QRService): DashboardPanel {
  let lastJob: string | undefined;
  const read = async (): Promise<PanelView> => {
    const service = qr();
    const [stats, students, stalls, job] = await Promise.all([
      service.getQRCacheStats(),
      service.repository.count('student'),
      service.repository.count('stall'),
      lastJob === undefined ? undefined : service.jobs.get(lastJob),
    ]);
    return {
      summary: [
        { label: 'Students', value: students },
        { label: 'Stalls', value: stalls },
        { label: 'Images cached', value: stats.totalQRsCached },
        { label: 'Bytes in Redis', value: stats.bytes },
        { label: 'Hit rate', value: percent(stats.hitRate) },
        {
          label: 'Shared through Redis',
          value: stats.connected ? 'yes' : 'no',
          tone: stats.connected ? 'ok' : 'warn',
        },
      ],
      table: {
        caption: 'Cached images per roster',
        columns: ['Roster', 'Cached', 'Coverage', 'Bytes', 'Hits', 'Misses', 'Hit rate'],
        rows: [
          [
            'students',
            stats.students.entries,
            students === 0 ? null : percent(stats.students.entries / students),
            stats.students.bytes,
            stats.students.hits,
            stats.students.misses,
            percent(stats.students.hitRate),
          ],
          [
            'stalls',
            stats.stalls.entries,
            stalls === 0 ? null : percent(stats.stalls.entries / stalls),
            stats.stalls.bytes,
            stats.stalls.hits,
            stats.stalls.misses,
            percent(stats.stalls.hitRate),
          ],
        ],
        rowAction: { action: 'warm', label: 'Warm', column: 0 },
      },
      ...(job === undefined
        ? {}
        : {
            details: [
              {
                title: `Warming job ${job.id}: ${job.state}`,
                body:
                  jobRows(job)
                    .map(
                      ([, roster, , done, total, loaded, skipped, failed, rate]) =>
                        `${roster}: ${done}/${total ?? '?'} done, ${loaded} loaded, ${skipped} already cached, ${failed} failed, ${rate}/s`,
                    )
                    .join('\n') + (job.error === null ? '' : `\nerror: ${job.error}`),
              },
            ],
            note: `Last warming started here: ${job.id}, ${job.state}.`,
          }),
    };
  };
  return {
    id: 'qr',
    title: 'QR codes',
    refreshMs: 5000,
    read,
    actions: [
      {
        id: 'warm',
        label: 'Warm a roster',
        input: { label: 'Roster: students, stalls or both', maxLength: 20 },
        confirm: 'Render and cache every QR image of this roster now?',
      },
      { id: 'job', label: 'Show a warming job', input: { label: 'Job id', maxLength: 16 } },
    ],
    async act(action, value) {
      const service = qr();
      if (action === 'warm') {
        const types =
          value === 'students'
            ? (['student'] as const)
            : value === 'stalls'
              ? (['stall'] as const)
              : (['student', 'stall'] as const);
        const job = service.jobs.start(types, false);
        lastJob = job.id;
        return { ...(await read()), note: `Warming job ${job.id} started on this instance.` };
      }
      const job = await service.jobs.get(value.trim());
      return {
        ...(await read()),
        table: {
          caption: `Warming job ${value}`,
          columns: [
            'Job',
            'Roster',
            'State',
            'Done',
            'Total',
            'Loaded',
            'Already cached',
            'Failed',
            'Per second',
          ],
          rows: job === undefined ? [] : jobRows(job),
        },
        note: job === undefined ? `No warming job ${value} is known.` : `Job ${value}: ${job.state}.`,
      };
    },
  };
}
