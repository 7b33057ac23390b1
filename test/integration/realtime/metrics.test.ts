/**
 * The hub's figures, cluster-wide, with two reference servers on one Redis: the /api/1/metrics
 * document's WebSocket fields (filled from every instance's report), GET /api/1/ws/stats (users,
 * connections, rooms, messages in and out over the cluster), and the Prometheus families.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniquePrefix } from '../../support/redis.js';
import type { Running } from '../server/harness.js';
import { ADMIN_TOKEN, Client, eventually, startHubs, tokenFor, wsUrl } from './harness.js';

const EP = 'hello-emoji';
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const getJson = async (url: string) =>
  (await (await fetch(url, { headers: admin })).json()) as Record<string, unknown>;

describe('realtime figures', () => {
  let hubs: Running[] = [];
  const clients: Client[] = [];

  beforeAll(async () => {
    hubs = await startHubs(
      2,
      { REDIS_MODE: 'single', REDIS_URL: 'redis://127.0.0.1:6379', REDIS_KEY_PREFIX: uniquePrefix('rtmet') },
      { INSTANCES_REPORT_INTERVAL_MS: '200' },
    );
    for (const [hub, user] of [
      [0, 'u1'],
      [1, 'u2'],
      [1, 'u1'],
    ] as const) {
      const client = await Client.open(
        wsUrl(hubs[hub]!, EP, `?token=${tokenFor(hubs[hub]!, EP, { id: user, roles: [] })}`),
      );
      await client.request({ t: 'join', room: `room-${user}` });
      clients.push(client);
    }
    await clients[0]!.request({ t: 'pub', to: 'broadcast', ev: 'wave', d: '👋' });
    for (const c of clients) await c.until('wave', () => c.messages().length === 1);
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all(hubs.map((hub) => hub.stop()));
  });

  it('fills the metrics document from every instance', async () => {
    await eventually('reports', async () => {
      const doc = (await getJson(`${hubs[0]!.url}/api/1/metrics`)) as {
        statistics: { totalWebSocketConnections: number; totalWebSocketMessages: number };
      };
      // Reports are written every 200 ms: wait for those written after the traffic.
      return doc.statistics.totalWebSocketConnections === 3 && doc.statistics.totalWebSocketMessages === 9;
    });
    const { statistics } = (await getJson(`${hubs[1]!.url}/api/1/metrics`)) as {
      statistics: { totalWebSocketMessages: number; webSocketNamespaces: Record<string, unknown>[] };
    };
    const emoji = statistics.webSocketNamespaces.find((n) => n.path === `/api/1/ws/${EP}`);
    expect(emoji).toMatchObject({ totalConnections: 3, instanceCount: 2, status: 'green' });
    expect(statistics.totalWebSocketMessages).toBe(4 + 5); // in: 3 joins and 1 pub; out: see below
  });

  it('sums users, connections, rooms and messages over the cluster in /api/1/ws/stats', async () => {
    // Each instance adds its own counts to Redis on its heartbeat, and a reader adds its own
    // unflushed ones: wait, on the instance read below, until both instances' counts are in.
    await eventually('flushed', async () => {
      const { endpoints } = (await getJson(`${hubs[1]!.url}/api/1/ws/stats`)) as {
        endpoints: Record<string, number>[];
      };
      const figures = endpoints.find((e) => (e.endpoint as unknown) === EP);
      return (figures?.messagesIn ?? 0) >= 4 && (figures?.messagesOut ?? 0) >= 5;
    });
    const { endpoints } = (await getJson(`${hubs[1]!.url}/api/1/ws/stats`)) as {
      endpoints: Record<string, unknown>[];
    };
    expect(endpoints.find((e) => e.endpoint === EP)).toEqual({
      endpoint: EP,
      users: 2,
      connections: 3,
      rooms: 2,
      instances: 2,
      messagesIn: 4, // 3 joins and 1 pub
      messagesOut: 5, // the broadcast to 3, and the `join` events of u1 and u2 to their rooms
    });
    expect(endpoints.find((e) => e.endpoint === 'hello-todo')).toMatchObject({ connections: 0, users: 0 });
  });

  it('exposes the Prometheus families', async () => {
    const text = await (await fetch(`${hubs[1]!.url}/metrics`, { headers: admin })).text();
    expect(text).toContain(`plexus_ws_connections{endpoint="${EP}"} 2`);
    expect(text).toContain(`plexus_ws_messages_out_total{endpoint="${EP}"} 3`); // 2 broadcast, 1 event
    expect(text).toContain(`plexus_ws_rooms{endpoint="${EP}"} 2`);
    expect(text).toMatch(/plexus_ws_subscriptions \d+/);
  });
});
