/**
 * Match events over the realtime hub, on two reference servers sharing a Redis and a SQLite file
 * with the pairing and pool jobs running (the app's default notifier, no test double): two
 * signed-in players, each with a real WebSocket on `/api/1/ws/matchmaking` to a different instance,
 * join and both receive `match.found` (same match, both players, the server's address) on their
 * user stream; the game server's heartbeating process is SIGKILLed with no other server in the pool,
 * and both receive `match.failed` once it leaves the pool, while `status` (the polling fallback)
 * says the same. An anonymous upgrade is refused, and a client cannot publish on the endpoint.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, RefusedUpgrade, wsUrl } from '../realtime/harness.js';
import { type Running, request } from '../server/harness.js';
import { signInPlayer, startTwoServers, type TwoServers } from './two-servers.js';

const ADMIN = 'mm-rt-admin-token-0123456789';
let servers: TwoServers | undefined;
let a: Running;
let b: Running;
const players = new Map<string, { cookie: string; id: string }>();

async function signIn(server: Running, login: string): Promise<void> {
  players.set(login, await signInPlayer(server, login));
}

function call(server: Running, method: string, path: string, as?: string, body?: unknown, token?: string) {
  const headers: Record<string, string> = {};
  if (as !== undefined) headers.cookie = players.get(as)!.cookie;
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return request(`${server.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

interface MatchData {
  match: {
    id: string;
    state: string;
    players: { id: string }[];
    server: { id: string; address: string } | null;
  };
}

beforeAll(async () => {
  servers = await startTwoServers('mm-rt', ADMIN, {
    // Long enough for the heartbeating process to start on a loaded machine.
    MATCHMAKING_SERVER_TTL_MS: '6000',
  });
  ({ a, b } = servers);
  await signIn(a, 'alice');
  await signIn(b, 'carol');
}, 60_000);

afterAll(async () => {
  await servers?.stop();
});

describe('matchmaking notifications over the realtime hub', () => {
  it('refuses anonymous connections and client publishing on the endpoint', async () => {
    const refused = await Client.open(wsUrl(a, 'matchmaking')).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RefusedUpgrade);
    expect((refused as RefusedUpgrade).status).toBe(401);
    const client = await Client.open(wsUrl(a, 'matchmaking'), { cookie: players.get('alice')!.cookie });
    try {
      const answer = await client.request({ t: 'pub', to: 'broadcast', ev: 'x', d: 1 });
      expect(answer.t).toBe('err');
      const joined = await client.request({ t: 'join', room: 'lobby' });
      expect(joined.t).toBe('err');
    } finally {
      client.close();
    }
  });

  it('tells both players of their match, and of its failure when its game server dies', async () => {
    const registered = await call(
      a,
      'POST',
      '/api/1/servers/register',
      undefined,
      {
        id: 'lonely',
        address: 'lonely:7777',
        capacity: 4,
      },
      ADMIN,
    );
    expect(registered.status).toBe(200);
    const url = `${b.url}/api/1/servers/lonely/heartbeat`;
    const child: ChildProcess = spawn(
      process.execPath,
      [
        '-e',
        `setInterval(() => fetch(${JSON.stringify(url)}, { method: 'POST', headers: { authorization: 'Bearer ${registered.body.token as string}' } }).then((r) => console.log(r.status), () => {}), 100);`,
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const alice = await Client.open(wsUrl(a, 'matchmaking'), { cookie: players.get('alice')!.cookie });
    const carol = await Client.open(wsUrl(b, 'matchmaking'), { cookie: players.get('carol')!.cookie });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('200')) resolve();
          else reject(new Error(`heartbeat refused: ${chunk.toString()}`));
        });
      });
      expect((await call(a, 'POST', '/api/1/matchmaking/join', 'alice', {})).status).toBe(200);
      expect((await call(b, 'POST', '/api/1/matchmaking/join', 'carol', {})).status).toBe(200);

      const event = (client: Client, name: string) => client.messages().find((f) => f.ev === name);
      for (const [login, client] of [
        ['alice', alice],
        ['carol', carol],
      ] as const) {
        await client.until(`${login}: match.found`, () => event(client, 'match.found') !== undefined);
        expect(event(client, 'match.found')!.s).toBe('user');
      }
      const found = [alice, carol].map((c) => event(c, 'match.found')!.d as MatchData);
      expect(found[1]!.match.id).toBe(found[0]!.match.id);
      expect(found[0]!.match.state).toBe('assigned');
      expect(found[0]!.match.server).toEqual({ id: 'lonely', address: 'lonely:7777' });
      expect(found[0]!.match.players.map((p) => p.id).sort()).toEqual(
        [players.get('alice')!.id, players.get('carol')!.id].sort(),
      );

      // The game server dies; no other server can take the match: it fails, both are told.
      child.kill('SIGKILL');
      for (const [login, client] of [
        ['alice', alice],
        ['carol', carol],
      ] as const) {
        await client.until(
          `${login}: match.failed`,
          () => event(client, 'match.failed') !== undefined,
          30_000,
        );
        const failed = event(client, 'match.failed')!.d as MatchData;
        expect(failed.match).toMatchObject({ id: found[0]!.match.id, state: 'failed', server: null });
      }
      // The polling fallback says the same, and the players may queue again at once.
      const status = (await call(b, 'GET', '/api/1/matchmaking/status', 'carol')).body as {
        state: string;
        match: { id: string; state: string };
      };
      expect([status.state, status.match.id, status.match.state]).toEqual([
        'matched',
        found[0]!.match.id,
        'failed',
      ]);
      const again = await call(b, 'POST', '/api/1/matchmaking/join', 'carol', {});
      expect([again.status, again.body.state]).toEqual([200, 'queued']);
      expect((await call(b, 'POST', '/api/1/matchmaking/leave', 'carol')).body).toEqual({ left: true });
    } finally {
      child.kill('SIGKILL');
      alice.close();
      carol.close();
    }
  }, 90_000);
});
