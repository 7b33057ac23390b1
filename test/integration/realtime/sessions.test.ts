/**
 * Realtime and sessions, on two reference servers over one Redis, with real clients:
 * - a logout (on either instance) closes the connections of that session with 1008, on every
 *   instance, and leaves the account's other sessions connected;
 * - a logout-all closes every connection of the account, including those opened with a token;
 * - REST publishing: admins anywhere, an account with one of the endpoint's `publishRoles` there only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniquePrefix } from '../../support/redis.js';
import { Browser, FAST_HASHING, PASSWORD } from '../../support/sessions-helpers.js';
import type { Running } from '../server/harness.js';
import { ADMIN_TOKEN, Client, startHubs, wsUrl } from './harness.js';

const CLOSE_POLICY = 1008;

describe('realtime connections follow their sessions', () => {
  let hubs: Running[] = [];

  beforeAll(async () => {
    hubs = await startHubs(2, {
      REDIS_MODE: 'single',
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: uniquePrefix('rtsess'),
      ...FAST_HASHING,
    });
    for (const hub of hubs) {
      hub.plexus.realtime.endpoint('private', { connect: 'signed-in' });
      hub.plexus.realtime.endpoint('feed', { connect: 'anyone', publishRoles: ['staff'] });
    }
    const accounts = hubs[0]!.plexus.auth.accounts;
    await accounts.create({ login: 'ana@example.com', password: PASSWORD, roles: ['player'] });
    await accounts.create({ login: 'bob@example.com', password: PASSWORD, roles: ['player'] });
    await accounts.create({ login: 'svc@example.com', password: PASSWORD, roles: ['staff'] });
  }, 60_000);

  afterAll(async () => {
    for (const hub of hubs) await hub.stop();
  });

  /** Signed in on the first instance (each has its own embedded database; sessions are in Redis). */
  async function signedIn(login: string, on = 0): Promise<Browser> {
    const browser = new Browser(hubs[0]!.url);
    expect((await browser.login(login, PASSWORD)).status).toBe(200);
    return browser.on(hubs[on]!.url);
  }
  it('a logout closes that session’s connections on every instance with 1008, and no other', async () => {
    const laptop = await signedIn('ana@example.com', 0);
    const phone = await signedIn('ana@example.com', 1);
    const onA = await Client.open(wsUrl(hubs[0]!, 'private'), { cookie: laptop.cookie! });
    const onB = await Client.open(wsUrl(hubs[1]!, 'private'), { cookie: laptop.cookie! });
    const phoneOnB = await Client.open(wsUrl(hubs[1]!, 'private'), { cookie: phone.cookie! });

    expect((await laptop.request('POST', '/api/1/auth/logout')).status).toBe(200);
    expect(await onA.closed()).toBe(CLOSE_POLICY);
    expect(await onB.closed()).toBe(CLOSE_POLICY);

    // The phone's session is untouched: still open, still served.
    expect(phoneOnB.closeCode).toBeUndefined();
    expect((await phoneOnB.request({ t: 'ping' })).t).toBe('pong');
    phoneOnB.close();
  });

  it('a logout-all closes every connection of the account, token ones included; others stay', async () => {
    const laptop = await signedIn('bob@example.com', 0);
    const phone = await signedIn('bob@example.com', 1);
    const other = await signedIn('ana@example.com', 1);
    const issued = await phone.request('POST', '/api/1/ws/private/token');
    expect(issued.status).toBe(200);
    const laptopOnB = await Client.open(wsUrl(hubs[1]!, 'private'), { cookie: laptop.cookie! });
    const phoneOnA = await Client.open(wsUrl(hubs[0]!, 'private'), { cookie: phone.cookie! });
    const tokenOnB = await Client.open(wsUrl(hubs[1]!, 'private', `?token=${issued.body.token as string}`));
    const bystander = await Client.open(wsUrl(hubs[0]!, 'private'), { cookie: other.cookie! });

    expect((await laptop.request('POST', '/api/1/auth/logout-all')).status).toBe(200);
    expect(await laptopOnB.closed()).toBe(CLOSE_POLICY);
    expect(await phoneOnA.closed()).toBe(CLOSE_POLICY);
    expect(await tokenOnB.closed()).toBe(CLOSE_POLICY);

    expect(bystander.closeCode).toBeUndefined();
    expect((await bystander.request({ t: 'ping' })).t).toBe('pong');
    bystander.close();
  });

  it('publishes over REST for admins and the endpoint’s publishRoles only', async () => {
    const publish = (on: Browser | undefined, endpoint: string, headers: Record<string, string> = {}) =>
      (on ?? new Browser(hubs[1]!.url)).request(
        'POST',
        `/api/1/ws/${endpoint}/broadcast`,
        { event: 'news', data: { n: 1 } },
        headers,
      );
    const listener = await Client.open(wsUrl(hubs[0]!, 'feed'));
    const service = await signedIn('svc@example.com', 1);
    const player = await signedIn('ana@example.com', 1);

    expect((await publish(service, 'feed')).status).toBe(200);
    await listener.until('the service’s message', () => listener.messages('broadcast').length === 1);
    expect((await publish(undefined, 'feed', { authorization: `Bearer ${ADMIN_TOKEN}` })).status).toBe(200);

    const refusedPlayer = await publish(player, 'feed');
    expect(refusedPlayer.status).toBe(403);
    const anonymous = await publish(undefined, 'feed');
    expect(anonymous.status).toBe(401);
    // The role counts on the endpoint that names it only.
    expect((await publish(service, 'private')).status).toBe(403);
    await listener.until('the admin’s message', () => listener.messages('broadcast').length === 2);
    expect(listener.messages('broadcast')).toHaveLength(2);
    listener.close();
  });
});
