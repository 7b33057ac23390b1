/**
 * The attendance app's panel on the admin dashboard (registered from the app's `create` through
 * `addDashboardPanel`; the dashboard knows nothing of attendance): the roll calls open now with
 * their check-in counts, the latest ones, and closing a roll call early.
 */
import type { DashboardPanel, PanelView } from '../../dashboard/panels.js';
import type { AttendanceService } from './service.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const RECENT = 10;

export function attendanceDashboardPanel(attendance: () => AttendanceService): DashboardPanel {
  const read = async (): Promise<PanelView> => {
    const { rollCalls } = attendance();
    const [open, recent] = await Promise.all([rollCalls.openSessions(), rollCalls.recentSessions(RECENT)]);
    const counts = await Promise.all(open.slice(0, 50).map((s) => rollCalls.count(s.id)));
    return {
      summary: [
        { label: 'Roll calls open', value: open.length },
        { label: 'Checked in (open roll calls)', value: counts.reduce((n, c) => n + c, 0) },
      ],
      table: {
        caption: 'Roll calls open now',
        columns: ['Session', 'Course', 'Room', 'Started', 'Ends', 'Checked in', 'Photo'],
        rows: open
          .slice(0, 50)
          .map((s, i) => [
            s.id,
            s.courseName,
            s.room,
            iso(s.startsAt),
            iso(s.endsAt),
            counts[i]!,
            s.photoRequired,
          ]),
        rowAction: { action: 'close', label: 'Close', column: 0 },
      },
      details: recent.map((s) => ({
        title: `${s.courseName} in ${s.room}, ${iso(s.startsAt)}`,
        body: `session ${s.id}\nends ${iso(s.endsAt)}\nclosed ${iso(s.closedAt) ?? 'no'}\nphoto required: ${s.photoRequired}`,
      })),
      note:
        open.length === 0
          ? `No roll call is open; the ${RECENT} latest are listed under the table.`
          : `The ${RECENT} latest roll calls are listed under the table.`,
    };
  };
  return {
    id: 'attendance',
    title: 'Attendance',
    refreshMs: 3000,
    read,
    actions: [
      {
        id: 'close',
        label: 'Close a roll call now',
        input: { label: 'Session id', maxLength: 100 },
        confirm: 'Close this roll call? Students can no longer check in.',
      },
    ],
    async act(_action, id) {
      const closed = await attendance().rollCalls.closeSession(id.trim());
      return { ...(await read()), note: `Closed the roll call of ${closed.courseName} in ${closed.room}.` };
    },
  };
}
