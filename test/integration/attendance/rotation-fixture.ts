/**
 * One instance with the QR and attendance apps as a separate process, for the rotation test.
 * argv[2] is its JSON environment. Announcements go where the app sends them by default (its
 * realtime endpoint); this process also notes each rotation it announced (instance, window,
 * session) in a Redis list, only so that the test knows which instance leads the rotation job.
 * Announces `{ event: 'ready', url, instanceId }`; answers `{ id, cmd: 'cookie', login, roles }`
 * with a session cookie; SIGKILL is the crash the test injects.
 */
import type { Role } from '../../../src/accounts/roles.js';
import { attendanceApp } from '../../../src/apps/attendance/app.js';
import type { AttendanceService } from '../../../src/apps/attendance/service.js';
import { qrApp } from '../../../src/apps/qr/app.js';
import { createPlexus } from '../../../src/index.js';
import { createServer } from '../../../src/server/index.js';

const env = JSON.parse(process.argv[2] ?? '{}') as Record<string, string>;
const recordKey = env.TEST_ANNOUNCE_KEY!;
const plexus = createPlexus({ env, apps: [qrApp, attendanceApp] });
const server = createServer(plexus);
const attendance = (plexus.apps as { attendance: AttendanceService }).attendance;
const hub = attendance.announcer;
attendance.setAnnouncer({
  async announce(announcement) {
    await hub.announce(announcement);
    if (announcement.type !== 'rotation') return;
    const { window, sessionId } = announcement;
    await plexus.redis.store.lPush(recordKey, [
      JSON.stringify({ instance: plexus.instanceId, window, sessionId, at: Date.now() }),
    ]);
  },
});
process.on('message', (m: { id: number; cmd: 'cookie'; login: string; roles: Role[] }) => {
  void plexus.sessions
    .create({ user: { id: `id-${m.login}`, login: m.login, roles: m.roles }, ttlMs: 3_600_000 })
    .then((record) =>
      process.send?.({ id: m.id, result: plexus.auth.cookie.issue(record.id).split(';')[0] }),
    );
});
process.on('disconnect', () => process.exit(0));
await plexus.start();
const url = await server.listen();
process.send?.({ event: 'ready', url, instanceId: plexus.instanceId });
