/**
 * The paged list of who is online (GET /api/1/ws/:endpoint/online and …/rooms/:roomId/online,
 * admin): every user once across the pages, in order, with the instances where they are connected;
 * on two reference servers over Redis (the Lua script) and on one in-process server (its twin).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniquePrefix } from '../../support/redis.js';
import type { Running } from '../server/harness.js';
import { ADMIN_TOKEN, Client, startHubs, tokenFor, wsUrl } from './harness.js';

interface Page {
  users: { id: string; instances: string[] }[];
  next: string | null;
}

async function get(hub: Running, path: string, admin = true): Promise<{ status: number; body: Page }> {
  const response = await fetch(`${hub.url}${path}`, {
    headers: admin ? { authorization: `Bearer ${ADMIN_TOKEN}` } : {},
  });
  return { status: response.status, body: (await response.json()) as Page };
}

/** Every page of `path` with `limit`, checking each is within the limit. */
async function allPages(hub: Running, path: string, limit: number): Promise<Page['users']> {
  const users: Page['users'] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const query: string = `?limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
    const { status, body } = await get(hub, `${path}${query}`);
    expect({ status, body }).toMatchObject({ status: 200 });
    expect(body.users.length).toBeLessThanOrEqual(limit);
    users.push(...body.users);
    cursor = body.next;
    if (cursor === null) return users;
  }
  throw new Error('more than 100 pages');
}

describe.each([
  ['two instances on Redis', 2, { REDIS_MODE: 'single', REDIS_URL: 'redis://127.0.0.1:6379' }],
  ['one instance in process', 1, { REDIS_MODE: 'memory' }],
] as const)('who is online, %s', (_name, count, redis) => {
  let hubs: Running[] = [];
  const clients: Client[] = [];

  beforeAll(async () => {
    hubs = await startHubs(count, { ...redis, REDIS_KEY_PREFIX: uniquePrefix('rtonline') });
    for (const hub of hubs) hub.plexus.realtime.endpoint('lobby', { connect: 'signed-in' });
    // u0..u6 on the first instance, u3 and u5 also on the last, u2 twice; u1, u3 join room r.
    for (let i = 0; i < 7; i++) {
      const user = { id: `u${i}`, roles: ['player'] };
      clients.push(
        await Client.open(wsUrl(hubs[0]!, 'lobby', `?token=${tokenFor(hubs[0]!, 'lobby', user)}`)),
      );
    }
    clients.push(
      await Client.open(
        wsUrl(hubs[0]!, 'lobby', `?token=${tokenFor(hubs[0]!, 'lobby', { id: 'u2', roles: [] })}`),
      ),
    );
    const last = hubs[hubs.length - 1]!;
    for (const id of ['u3', 'u5']) {
      clients.push(
        await Client.open(wsUrl(last, 'lobby', `?token=${tokenFor(last, 'lobby', { id, roles: [] })}`)),
      );
    }
    for (const i of [1, 3]) expect((await clients[i]!.request({ t: 'join', room: 'r' })).t).toBe('ok');
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    for (const hub of hubs) await hub.stop();
  });

  it('pages through every user once, in order, with their instances', async () => {
    const ids = hubs.map((hub) => hub.plexus.instanceId);
    const users = await allPages(hubs[hubs.length - 1]!, '/api/1/ws/lobby/online', 2);
    expect(users.map((u) => u.id)).toEqual(['u0', 'u1', 'u2', 'u3', 'u4', 'u5', 'u6']);
    for (const user of users) {
      const expected = ['u3', 'u5'].includes(user.id) ? [...new Set(ids)] : [ids[0]!];
      expect(user.instances.sort()).toEqual(expected.sort());
    }
    const room = await allPages(hubs[0]!, '/api/1/ws/lobby/rooms/r/online', 1);
    expect(room.map((u) => u.id)).toEqual(['u1', 'u3']);
  });

  it('refuses a forged cursor, a limit out of range and a caller who is not an admin', async () => {
    const hub = hubs[0]!;
    expect((await get(hub, '/api/1/ws/lobby/online?cursor=forged')).status).toBe(400);
    expect((await get(hub, '/api/1/ws/lobby/online?limit=0')).status).toBe(400);
    expect((await get(hub, '/api/1/ws/lobby/online?limit=501')).status).toBe(400);
    expect((await get(hub, '/api/1/ws/lobby/online', false)).status).toBe(401);
    expect((await get(hub, '/api/1/ws/nowhere/online')).status).toBe(404);
  });
});
