/**
 * Three reference servers in this process over one Redis (single node, a Cluster with sharded
 * pub/sub, and Sentinel), real `ws` clients: each audience (broadcast, user, room, client `pub`) reaches exactly
 * the right connections on every instance and nothing on another endpoint; presence counts and
 * join/leave events are exact (first and last connection of a user, not every tab); a client that
 * comes back with its offset gets every missed message once, in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniquePrefix } from '../../support/redis.js';
import {
  type RedisClusterHandle,
  type RedisSentinelHandle,
  startCluster,
  startSentinel,
} from '../../support/topology.js';
import type { Running } from '../server/harness.js';
import { Client, eventually, sleep, startHubs, tokenFor, wsUrl } from './harness.js';

const EP = 'jpulse-ws-test';
const OTHER = 'hello-todo';

interface Target {
  name: string;
  setup(): Promise<Record<string, string>>;
  teardown(): Promise<void>;
}

let cluster: RedisClusterHandle | undefined;
let sentinel: RedisSentinelHandle | undefined;
const targets: Target[] = [
  {
    name: 'single node',
    setup: async () => ({
      REDIS_MODE: 'single',
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: uniquePrefix('rt'),
    }),
    teardown: async () => {},
  },
  {
    name: 'cluster',
    setup: async () => {
      cluster = await startCluster();
      return {
        REDIS_MODE: 'cluster',
        REDIS_CLUSTER_NODES: cluster.seeds,
        REDIS_KEY_PREFIX: uniquePrefix('rt'),
      };
    },
    teardown: async () => {
      await cluster?.stop();
    },
  },
  {
    name: 'sentinel',
    setup: async () => {
      sentinel = await startSentinel();
      return {
        REDIS_MODE: 'sentinel',
        REDIS_SENTINELS: sentinel.sentinelAddresses,
        REDIS_SENTINEL_MASTER: sentinel.masterName,
        REDIS_KEY_PREFIX: uniquePrefix('rt'),
      };
    },
    teardown: async () => {
      await sentinel?.stop();
    },
  },
];

describe.each(targets)('realtime across three instances ($name)', (target) => {
  let hubs: Running[] = [];
  const clients: Client[] = [];

  const open = async (hub: number, endpoint: string, user?: string) => {
    const query =
      user === undefined ? '' : `?token=${tokenFor(hubs[hub]!, endpoint, { id: user, roles: ['user'] })}`;
    const client = await Client.open(wsUrl(hubs[hub]!, endpoint, query));
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    hubs = await startHubs(3, await target.setup());
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await Promise.all(hubs.map((hub) => hub.stop()));
    await target.teardown();
  });

  it('delivers each audience to exactly its connections, on every instance, and nowhere else', async () => {
    const alice0 = await open(0, EP, 'alice');
    const anon0 = await open(0, EP);
    const alice1 = await open(1, EP, 'alice');
    const bob1 = await open(1, EP, 'bob');
    const carol2 = await open(2, EP, 'carol');
    const other1 = await open(1, OTHER, 'alice');
    expect(alice0.welcome).toMatchObject({
      endpoint: EP,
      user: { id: 'alice' },
      streams: { broadcast: {}, user: {} },
    });
    expect(anon0.welcome).toMatchObject({ user: null });
    expect((await alice0.request({ t: 'join', room: 'r1' })).t).toBe('ok');
    expect((await bob1.request({ t: 'join', room: 'r1' })).t).toBe('ok');
    const everyone = [alice0, anon0, alice1, bob1, carol2];

    const api = hubs[2]!.plexus.realtime.endpoint(EP);
    await api.broadcast('news', { n: 1 });
    await api.toUser('alice', 'dm', { n: 2 });
    await api.toRoom('r1', 'chat', { n: 3 });
    expect((await carol2.request({ t: 'pub', to: 'room:r1', ev: 'chat', d: { n: 4 } })).t).toBe('ok');
    expect((await anon0.request({ t: 'pub', to: 'user:bob', ev: 'dm', d: { n: 5 } })).t).toBe('ok');

    const expected = new Map<Client, number[]>([
      [alice0, [1, 2, 3, 4]],
      [anon0, [1]],
      [alice1, [1, 2]],
      [bob1, [1, 3, 4, 5]],
      [carol2, [1]],
    ]);
    const got = (c: Client) => c.messages().map((m) => (m.d as { n: number }).n);
    for (const [client, want] of expected)
      await client.until(`${want}`, () => got(client).length >= want.length);
    await sleep(300); // anything extra or duplicated would have arrived by now
    for (const [client, want] of expected) expect(got(client).sort()).toEqual(want);
    expect(other1.messages()).toEqual([]);
    // Frames name the stream as the client does; `from` is the publishing user.
    expect(alice1.messages().find((m) => (m.d as { n: number }).n === 2)).toMatchObject({
      s: 'user',
      ev: 'dm',
    });
    expect(bob1.messages().find((m) => (m.d as { n: number }).n === 4)).toMatchObject({
      s: 'room:r1',
      from: 'carol',
    });
    for (const c of everyone) c.close();
    other1.close();
  }, 30_000);

  it('counts presence exactly and announces a user once, on the first and last connection', async () => {
    const watcher = await open(2, EP, 'watcher');
    await watcher.request({ t: 'join', room: 'p1' });
    const tab1 = await open(0, EP, 'dora');
    const tab2 = await open(1, EP, 'dora');
    const eve = await open(2, EP, 'eve');
    await tab1.request({ t: 'join', room: 'p1' });
    await tab2.request({ t: 'join', room: 'p1' });
    await eve.request({ t: 'join', room: 'p1' });
    await watcher.until('joins', () => watcher.events().length >= 2);
    const api = hubs[0]!.plexus.realtime.endpoint(EP);
    await eventually('presence 3 users', async () => (await api.presence('p1')).users === 3);
    expect(await api.presence('p1')).toEqual({ users: 3, connections: 4, instances: 3 });
    expect(await api.online('dora')).toMatchObject({ online: true });
    expect((await api.online('dora')).instances.sort()).toEqual(
      [hubs[0]!.plexus.instanceId, hubs[1]!.plexus.instanceId].sort(),
    );

    await tab1.request({ t: 'leave', room: 'p1' });
    await sleep(300);
    expect(watcher.events().filter((e) => e.user === 'dora')).toEqual([
      { t: 'presence', room: 'p1', user: 'dora', action: 'join' },
    ]);
    tab2.close();
    await watcher.until('dora leaves', () =>
      watcher.events().some((e) => e.user === 'dora' && e.action === 'leave'),
    );
    await sleep(300);
    expect(
      watcher
        .events()
        .filter((e) => e.user === 'dora')
        .map((e) => e.action),
    ).toEqual(['join', 'leave']);
    expect(
      watcher
        .events()
        .filter((e) => e.user === 'eve')
        .map((e) => e.action),
    ).toEqual(['join']);
    expect(await api.presence('p1')).toEqual({ users: 2, connections: 2, instances: 1 });
    // dora's first tab left the room but is still connected to the endpoint.
    expect(await api.online('dora')).toEqual({ online: true, instances: [hubs[0]!.plexus.instanceId] });
    tab1.close();
    await eventually('dora offline', async () => !(await api.online('dora')).online);
    const stats = await hubs[1]!.plexus.realtime.stats();
    expect(stats.find((s) => s.endpoint === EP)).toMatchObject({ connections: 2, users: 2, rooms: 1 });
    for (const c of [watcher, eve]) c.close();
  }, 30_000);

  it('gives a client that comes back with its offset every missed message once, in order', async () => {
    const first = await open(1, EP, 'finn');
    const joined = await first.request({ t: 'join', room: 'rec' });
    const api = hubs[0]!.plexus.realtime.endpoint(EP);
    await api.toRoom('rec', 'm', { n: 0 });
    await first.until('n=0', () => first.messages('room:rec').length === 1);
    const seen = first.messages('room:rec')[0]!;
    const userSeen = first.welcome!.streams as Record<string, { epoch: string; offset: number }>;
    first.close();
    await first.closed();

    for (let n = 1; n <= 5; n++) await api.toRoom('rec', 'm', { n });
    await api.toUser('finn', 'dm', { n: 100 });
    const back = await open(2, EP, 'finn');
    const ok = await back.request({ t: 'join', room: 'rec', since: { epoch: joined.epoch, offset: seen.o } });
    expect(ok).toMatchObject({
      t: 'ok',
      stream: 'room:rec',
      recovered: true,
      epoch: joined.epoch,
      offset: (seen.o as number) + 5,
    });
    const missed = back.messages('room:rec');
    expect(missed.map((m) => (m.d as { n: number }).n)).toEqual([1, 2, 3, 4, 5]);
    expect(missed.map((m) => m.o)).toEqual([1, 2, 3, 4, 5].map((i) => (seen.o as number) + i));
    const user = await back.request({ t: 'recover', stream: 'user', since: userSeen.user });
    expect(user).toMatchObject({ recovered: true });
    expect(back.messages('user').map((m) => (m.d as { n: number }).n)).toEqual([100]);

    await api.toRoom('rec', 'm', { n: 6 });
    await back.until('n=6', () => back.messages('room:rec').length === 6);
    await sleep(200);
    expect(back.messages('room:rec').map((m) => (m.d as { n: number }).n)).toEqual([1, 2, 3, 4, 5, 6]);

    // Another epoch, or an offset beyond the history: the client is told to resync.
    const stale = await back.request({
      t: 'recover',
      stream: 'broadcast',
      since: { epoch: 'other', offset: 1 },
    });
    expect(stale).toMatchObject({ t: 'ok', recovered: false });
    back.close();
  }, 30_000);
});
