/**
 * The matchmaking app's panel on the admin dashboard (registered from the app's `create` through
 * `addDashboardPanel`; the dashboard knows nothing of matchmaking): every queue (mode and region)
 * with its waiting players, matches and waits, the first page of the game-server pool with
 * liveness and load, and removing a server as an admin (its unfinished matches move or fail).
 */
import type { DashboardPanel, PanelView } from '../../dashboard/panels.js';
import type { Matchmaking } from './service.js';

const SERVERS_SHOWN = 50;
const seconds = (ms: number | null) => (ms === null ? null : Math.round(ms / 100) / 10);

export function matchmakingDashboardPanel(mm: Matchmaking): DashboardPanel {
  const read = async (): Promise<PanelView> => {
    const [stats, pool] = await Promise.all([mm.stats(), mm.servers(undefined, SERVERS_SHOWN)]);
    const live = pool.servers.filter((s) => s.live).length;
    return {
      summary: [
        { label: 'Players queued', value: stats.playersQueued },
        { label: 'Players online', value: stats.playersOnline },
        { label: 'Game servers (listed)', value: pool.servers.length },
        {
          label: 'Servers live',
          value: live,
          tone: pool.servers.length > 0 && live === 0 ? 'bad' : live < pool.servers.length ? 'warn' : 'ok',
        },
        {
          label: 'Shared through Redis',
          value: mm.usingRedis ? 'yes' : 'no',
          tone: mm.usingRedis ? 'ok' : 'warn',
        },
      ],
      table: {
        caption: 'Queues',
        columns: [
          'Mode',
          'Region',
          'Queued',
          'Matches made',
          'Players in matches',
          'Avg wait (s)',
          'p95 wait (s)',
        ],
        rows: stats.queues.map((q) => [
          q.mode,
          q.region,
          q.queued,
          q.matchesMade,
          q.playersInMatches,
          seconds(q.avgWaitMs),
          seconds(q.p95WaitMs),
        ]),
      },
      details: pool.servers.map((s) => ({
        title: `${s.live ? '● live' : '○ not live'} ${s.id} (${s.region}) load ${s.load}/${s.capacity}`,
        body: `address ${s.address}\nmodes ${s.modes.join(', ')}\nregistered ${new Date(s.registeredAt).toISOString()}`,
      })),
      note:
        pool.servers.length === 0
          ? 'No game server is registered.'
          : `Game servers are listed under the table${pool.next === null ? '' : ` (the first ${SERVERS_SHOWN})`}.`,
    };
  };
  return {
    id: 'matchmaking',
    title: 'Matchmaking',
    refreshMs: 3000,
    read,
    actions: [
      {
        id: 'remove-server',
        label: 'Remove a game server',
        input: { label: 'Server id', maxLength: 100 },
        confirm: 'Remove this server from the pool? Its unfinished matches move to another server or fail.',
      },
    ],
    async act(_action, id) {
      const { moved, failed } = await mm.removeServer(id.trim(), 'admin');
      return { ...(await read()), note: `Server ${id} removed: ${moved} matches moved, ${failed} failed.` };
    },
  };
}
