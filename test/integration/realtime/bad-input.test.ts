/**
 * Bad input against two reference servers on one Redis, with real clients: malformed, binary,
 * oversized and too many frames, forbidden publishes, unknown endpoints, and upgrades without, with a
 * forged, or with a real session cookie, or a token. Each gets a clear close code or an HTTP error
 * before the upgrade; the process stays up and a bystander keeps receiving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniquePrefix } from '../../support/redis.js';
import { Browser, FAST_HASHING, PASSWORD } from '../../support/sessions-helpers.js';
import type { Running } from '../server/harness.js';
import { ADMIN_TOKEN, Client, RefusedUpgrade, sleep, startHubs, tokenFor, wsUrl } from './harness.js';

async function refused(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; code: string }> {
  try {
    const client = await Client.open(url, headers);
    client.close();
  } catch (error) {
    if (error instanceof RefusedUpgrade) {
      return {
        status: error.status,
        code: (JSON.parse(error.body) as { error: { code: string } }).error.code,
      };
    }
    throw error;
  }
  throw new Error(`${url} was accepted`);
}

describe('realtime bad input', () => {
  let hubs: Running[] = [];
  let bystander: Client;

  beforeAll(async () => {
    hubs = await startHubs(2, {
      REDIS_MODE: 'single',
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: uniquePrefix('rtbad'),
      ...FAST_HASHING,
    });
    for (const hub of hubs) {
      hub.plexus.realtime.endpoint('private', { connect: 'signed-in' });
      hub.plexus.realtime.endpoint('staff', {
        connect: { role: 'staff' },
        clientPublish: ['broadcast'],
        ratePerSecond: 5,
      });
    }
    await hubs[0]!.plexus.auth.accounts.create({
      login: 'sam@example.com',
      password: PASSWORD,
      roles: ['player'],
    });
    bystander = await Client.open(wsUrl(hubs[1]!, 'jpulse-ws-test'));
  }, 60_000);

  afterAll(async () => {
    bystander?.close();
    await Promise.all(hubs.map((hub) => hub.stop()));
  });

  it('answers malformed and unknown frames with err, and keeps the connection', async () => {
    const client = await Client.open(wsUrl(hubs[0]!, 'jpulse-ws-test'));
    client.ws.send('{not json');
    client.send({ t: 'teleport', id: 7 });
    client.ws.send('[1,2]');
    client.send({ t: 'join', room: 'bad room!', id: 8 });
    client.send({ t: 'join', room: 'ok', since: { epoch: 1, offset: -1 }, id: 9 });
    client.send({ t: 'pub', to: 'everyone', ev: 'x', id: 10 });
    client.send({ t: 'recover', stream: 'room:never-joined', since: { epoch: 'e', offset: 0 }, id: 11 });
    const pong = await client.request({ t: 'ping' });
    expect(pong.t).toBe('pong');
    await client.until('7 errors', () => client.frames.filter((f) => f.t === 'err').length === 7);
    // Frames that need Redis (join, recover) are answered after the others.
    const errs = client.frames
      .filter((f) => f.t === 'err')
      .sort((a, b) => Number(a.id ?? 0) - Number(b.id ?? 0));
    expect(errs.map((e) => [e.id ?? null, e.code])).toEqual([
      [null, 'WS_BAD_REQUEST'],
      [null, 'WS_BAD_REQUEST'],
      [7, 'WS_BAD_REQUEST'],
      [8, 'WS_BAD_REQUEST'],
      [9, 'WS_BAD_REQUEST'],
      [10, 'WS_BAD_REQUEST'],
      [11, 'WS_BAD_REQUEST'],
    ]);
    expect(client.closeCode).toBeUndefined();
    client.close();
  });

  it('refuses a forbidden publish with WS_FORBIDDEN', async () => {
    const client = await Client.open(wsUrl(hubs[0]!, 'jpulse-ws-status'));
    expect(await client.request({ t: 'pub', to: 'broadcast', ev: 'x', d: 1 })).toMatchObject({
      t: 'err',
      code: 'WS_FORBIDDEN',
    });
    await sleep(200);
    expect(bystander.messages()).toEqual([]);
    client.close();
  });

  it('closes binary (1003), oversized (1009) and too many (4008) frames', async () => {
    const binary = await Client.open(wsUrl(hubs[0]!, 'jpulse-ws-test'));
    binary.ws.send(Buffer.from([1, 2, 3]));
    expect(await binary.closed()).toBe(1003);

    const big = await Client.open(wsUrl(hubs[0]!, 'hello-emoji'));
    big.send({ t: 'pub', to: 'broadcast', ev: 'x', d: 'y'.repeat(5000) });
    expect(await big.closed()).toBe(1009);

    const staff = await Client.open(
      wsUrl(hubs[0]!, 'staff', `?token=${tokenFor(hubs[0]!, 'staff', { id: 'st', roles: ['staff'] })}`),
    );
    for (let i = 0; i < 10; i++) staff.send({ t: 'ping' });
    expect(await staff.closed()).toBe(4008);
  });

  it('refuses upgrades before upgrading: unknown endpoint, no or forged cookie, wrong role, bad token', async () => {
    expect(await refused(wsUrl(hubs[0]!, 'no-such-endpoint'))).toEqual({
      status: 404,
      code: 'WS_UNKNOWN_ENDPOINT',
    });
    expect(await refused(wsUrl(hubs[0]!, 'private'))).toEqual({ status: 401, code: 'WS_UNAUTHENTICATED' });
    expect(
      await refused(wsUrl(hubs[0]!, 'private'), { cookie: 'plexus.sid=s%3Aforged.c2lnbmF0dXJl' }),
    ).toEqual({
      status: 401,
      code: 'WS_UNAUTHENTICATED',
    });
    const userToken = tokenFor(hubs[0]!, 'staff', { id: 'u', roles: ['user'] });
    expect(await refused(wsUrl(hubs[1]!, 'staff', `?token=${userToken}`))).toEqual({
      status: 403,
      code: 'WS_FORBIDDEN',
    });
    const otherEndpoint = tokenFor(hubs[0]!, 'private', { id: 'u', roles: ['staff'] });
    expect(await refused(wsUrl(hubs[1]!, 'staff', `?token=${otherEndpoint}`))).toEqual({
      status: 400,
      code: 'WS_BAD_TOKEN',
    });
    const forged = `${userToken.split('.')[0]}.${'A'.repeat(43)}`;
    expect(await refused(wsUrl(hubs[1]!, 'staff', `?token=${forged}`))).toEqual({
      status: 400,
      code: 'WS_BAD_TOKEN',
    });
    expect(await refused(`${hubs[0]!.url.replace('http', 'ws')}/api/1/not-ws`)).toMatchObject({
      status: 404,
    });
  });

  it('accepts the session cookie on any instance, and a token from POST /ws/:endpoint/token', async () => {
    const browser = new Browser(hubs[0]!.url);
    expect((await browser.login('sam@example.com')).status).toBe(200);
    const viaCookie = await Client.open(wsUrl(hubs[1]!, 'private'), { cookie: browser.cookie! });
    expect(viaCookie.welcome).toMatchObject({ endpoint: 'private', user: { roles: ['player'] } });
    const issued = await browser.request('POST', '/api/1/ws/private/token');
    expect(issued.status).toBe(200);
    const viaToken = await Client.open(wsUrl(hubs[1]!, 'private', `?token=${issued.body.token as string}`));
    expect((viaToken.welcome!.user as { id: string }).id).toBe(
      (viaCookie.welcome!.user as { id: string }).id,
    );
    const anonymous = await new Browser(hubs[0]!.url).request('POST', '/api/1/ws/private/token');
    expect(anonymous.status).toBe(401);
    viaCookie.close();
    viaToken.close();
  });

  it('keeps serving everyone else', async () => {
    const response = await fetch(`${hubs[0]!.url}/api/1/ws/jpulse-ws-test/broadcast`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ event: 'still', data: { ok: true } }),
    });
    expect(response.status).toBe(200);
    await bystander.until('still', () => bystander.messages().some((m) => m.ev === 'still'));
    expect(bystander.closeCode).toBeUndefined();
    const unauthorised = await fetch(`${hubs[0]!.url}/api/1/ws/jpulse-ws-test/broadcast`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event: 'x' }),
    });
    expect(unauthorised.status).toBe(401);
  });
});
