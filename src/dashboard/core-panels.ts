/**
 * The panels the dashboard shows for the core modules: Redis, cache, jobs, sessions, feature flags
 * (flags-panel.ts), realtime (realtime-panel.ts) and recent errors. Each reads the module's own API
 * (never its keys); their actions are the dashboard's only mutations.
 */
import type { PlexusCore } from '../application/definition.js';
import type { CacheNamespace } from '../cache/index.js';
import { DashboardError } from './errors.js';
import { flagsPanel } from './flags-panel.js';
import type { DashboardPanel, PanelRegistry, PanelView } from './panels.js';
import { realtimePanel } from './realtime-panel.js';

const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());
const percent = (ratio: number) => `${Math.round(ratio * 1000) / 10}%`;

export function registerCorePanels(panels: PanelRegistry, plexus: PlexusCore): void {
  const core = { core: true };
  let failovers = 0;
  plexus.redis.on('topology', () => {
    failovers++;
  });
  panels.add(
    redisPanel(plexus, () => failovers),
    core,
  );
  panels.add(cachePanel(plexus), core);
  panels.add(jobsPanel(plexus), core);
  panels.add(sessionsPanel(plexus), core);
  panels.add(flagsPanel(plexus), core);
  panels.add(realtimePanel(plexus), core);
  panels.add(errorsPanel(plexus), core);
}

function redisPanel(plexus: PlexusCore, failovers: () => number): DashboardPanel {
  return {
    id: 'redis',
    title: 'Redis',
    refreshMs: 2000,
    async read() {
      const h = await plexus.redis.health();
      return {
        summary: [
          { label: 'Topology', value: h.topology },
          {
            label: 'State',
            value: h.state,
            tone:
              h.state === 'ready' || h.state === 'memory' ? 'ok' : h.state === 'degraded' ? 'bad' : 'warn',
          },
          { label: 'Breaker', value: h.breaker, tone: h.breaker === 'open' ? 'bad' : 'ok' },
          { label: 'Why degraded', value: h.reason },
          { label: 'Latency avg (ms)', value: h.stats.averageLatencyMs },
          { label: 'Latency p99 (ms)', value: h.stats.p99LatencyMs },
          { label: 'Operations', value: h.stats.total },
          { label: 'Failed', value: h.stats.failed },
          { label: 'Failovers seen (this instance)', value: failovers() },
        ],
        table: {
          caption: 'Nodes',
          columns: ['Address', 'Role', 'Reachable', 'Ping (ms)', 'Operations', 'p99 (ms)', 'Error'],
          rows: h.nodes.map((n) => [
            n.address,
            n.role,
            n.reachable ? 'yes' : 'no',
            n.latencyMs,
            h.stats.nodes[n.address]?.total ?? 0,
            h.stats.nodes[n.address]?.p99LatencyMs ?? 0,
            n.error ?? null,
          ]),
        },
      };
    },
  };
}

function cachePanel(plexus: PlexusCore): DashboardPanel {
  const read = async (): Promise<PanelView> => {
    const stats = await plexus.cache.stats();
    const local = stats.instance;
    const namespaces = stats.cluster?.namespaces ?? local.namespaces;
    return {
      summary: [
        { label: 'Mode (this instance)', value: local.mode, tone: local.mode === 'redis' ? 'ok' : 'warn' },
        { label: 'Hit rate (cluster)', value: stats.cluster ? percent(stats.cluster.totals.hitRate) : null },
        { label: 'Hit rate (this instance)', value: percent(local.totals.hitRate) },
        { label: 'L1 entries (this instance)', value: local.l1.entries },
        { label: 'L1 bytes (this instance)', value: local.l1.bytes },
        { label: 'Instances reporting', value: stats.cluster?.instances ?? 1 },
      ],
      table: {
        caption: stats.cluster ? 'Namespaces (cluster counters)' : 'Namespaces (this instance)',
        columns: ['Namespace', 'Hit rate', 'L1 hits', 'L2 hits', 'Misses', 'Loader calls', 'Errors'],
        rows: Object.entries(namespaces).map(([ns, s]) => [
          ns,
          percent(s.hitRate),
          s.l1Hits,
          s.l2Hits,
          s.misses,
          s.loaderCalls,
          s.errors,
        ]),
        rowAction: { action: 'clear', label: 'Clear', column: 0 },
      },
    };
  };
  return {
    id: 'cache',
    title: 'Cache',
    read,
    actions: [
      {
        id: 'clear',
        label: 'Clear namespace',
        input: { label: 'Namespace', maxLength: 200 },
        confirm: 'Remove every entry of this namespace and its children, on every instance?',
      },
    ],
    async act(_action, namespace) {
      const ns = namespace
        .split('/')
        .reduce<CacheNamespace>(
          (parent, part, i) => (i === 0 ? plexus.cache : parent).namespace(part),
          plexus.cache,
        );
      const removed = await ns.clear();
      return { ...(await read()), note: `Cleared ${namespace}: ${removed} entries removed from Redis.` };
    },
  };
}

function jobsPanel(plexus: PlexusCore): DashboardPanel {
  return {
    id: 'jobs',
    title: 'Jobs',
    async read() {
      const jobs = await plexus.jobs.list();
      return {
        table: {
          caption: 'Scheduled jobs',
          columns: ['Job', 'Leader', 'Last run', 'Outcome', 'Duration (ms)', 'Runs', 'Failures', 'Next run'],
          rows: jobs.map((j) => [
            j.name,
            j.leader,
            iso(j.lastRun?.startedAt),
            j.lastRun?.status ?? null,
            j.lastRun?.durationMs ?? null,
            j.runs,
            j.failures,
            iso(j.nextRunAt),
          ]),
        },
        ...(jobs.length === 0 ? { note: 'No job is scheduled.' } : {}),
      };
    },
  };
}

function sessionsPanel(plexus: PlexusCore): DashboardPanel {
  const { auth } = plexus;
  const account = async (login: string) => {
    const found = await auth.accounts.findByLogin(login);
    if (found === null) throw new DashboardError('DASHBOARD_NOT_FOUND', `No account ${login}`);
    return found;
  };
  const summary = async (): Promise<PanelView> => {
    const health = auth.health();
    return {
      summary: [
        { label: 'Active sessions', value: await auth.sessions.count() },
        { label: 'Kept in', value: health.backend, tone: health.shared ? 'ok' : 'warn' },
        { label: 'Sessions in this process', value: health.local },
      ],
    };
  };
  return {
    id: 'sessions',
    title: 'Sessions',
    refreshMs: 15_000,
    read: summary,
    actions: [
      { id: 'list', label: "Show a user's sessions", input: { label: 'Login', maxLength: 200 } },
      {
        id: 'logout-all',
        label: 'Log a user out everywhere',
        input: { label: 'Login', maxLength: 200 },
        confirm: 'End every session of this user, on every instance?',
      },
    ],
    async act(action, login) {
      const user = await account(login);
      if (action === 'logout-all') {
        const ended = await auth.sessions.destroyUser(user.id);
        return { ...(await summary()), note: `${login}: ${ended.length} sessions ended.` };
      }
      const sessions = await auth.sessions.listUser(user.id);
      return {
        ...(await summary()),
        table: {
          caption: `Sessions of ${login}`,
          columns: ['Device', 'Address', 'Created', 'Last seen', 'Expires'],
          rows: sessions.map((s) => [s.device, s.ip, iso(s.createdAt), iso(s.lastSeenAt), iso(s.expiresAt)]),
        },
      };
    },
  };
}

function errorsPanel(plexus: PlexusCore): DashboardPanel {
  return {
    id: 'errors',
    title: 'Recent errors',
    refreshMs: 3000,
    async read() {
      const doc = await plexus.metrics.recentErrors(20);
      return {
        table: {
          caption: doc.singleInstance ? 'Recent server errors (this instance)' : 'Recent server errors',
          columns: ['Time', 'Instance', 'Status', 'Code', 'Route', 'Message'],
          rows: doc.errors.map((e) => [
            e.time,
            e.instanceId,
            e.statusCode,
            e.code,
            e.context.route ?? e.context.url,
            e.message,
          ]),
        },
        details: doc.errors.map((e) => ({
          title: `${e.time} ${e.message}`,
          body: e.stack ?? '(no stack)',
        })),
        ...(doc.errors.length === 0 ? { note: 'No server error recently.' } : {}),
      };
    },
  };
}
