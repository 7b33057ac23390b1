/**
 * One instance with the QR and attendance apps as a separate process, for the rotation test.
 * argv[2] is its JSON environment. Its announcer records every rotation announcement (instance,
 * window, session, time) in a Redis list, so the test reads what the whole cluster announced.
 * Announces `{ event: 'ready', url, instanceId }`; SIGKILL is the crash the test injects.
 */
import type { Announcement } from '../../../src/apps/attendance/announcer.js';
import { createAttendanceApp } from '../../../src/apps/attendance/app.js';
import { qrApp } from '../../../src/apps/qr/app.js';
import { createPlexus } from '../../../src/index.js';
import { createServer } from '../../../src/server/index.js';

const env = JSON.parse(process.argv[2] ?? '{}') as Record<string, string>;
const recordKey = env.TEST_ANNOUNCE_KEY!;
let instanceId = '';
const app = createAttendanceApp({
  announcer: {
    async announce(announcement: Announcement) {
      if (announcement.type !== 'rotation') return;
      const { window, sessionId } = announcement;
      await plexus.redis.store.lPush(recordKey, [
        JSON.stringify({ instance: instanceId, window, sessionId, at: Date.now() }),
      ]);
    },
  },
});
const plexus = createPlexus({ env, apps: [qrApp, app] });
instanceId = plexus.instanceId;
const server = createServer(plexus);
process.on('disconnect', () => process.exit(0));
await plexus.start();
const url = await server.listen();
process.send?.({ event: 'ready', url, instanceId });
