/**
 * The matchmaking API over real HTTP on two reference servers sharing a Redis and a SQLite file,
 * with the pairing and pool jobs running: two signed-in players on different instances are
 * matched with the default mode (`POST /api/1/matchmaking/join` with `{}`) and see the same match
 * and server; bad input gets 4xx with stable codes; a game server process that heartbeats over
 * HTTP is SIGKILLed, leaves the pool within its TTL, and its match moves to the other server.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../support/topology.js';
import { errorCode, type Running, request } from '../server/harness.js';
import { signInPlayer, startTwoServers, type TwoServers } from './two-servers.js';

const ADMIN = 'mm-http-admin-token-0123456789';
let servers: TwoServers | undefined;
let a: Running;
let b: Running;
const cookies = new Map<string, string>();
const ids = new Map<string, string>();

async function signIn(server: Running, login: string): Promise<string> {
  const { cookie, id } = await signInPlayer(server, login);
  ids.set(login, id);
  cookies.set(login, cookie);
  return cookie;
}

function call(
  server: Running,
  method: string,
  path: string,
  options: { as?: string; body?: unknown; token?: string } = {},
) {
  const headers: Record<string, string> = {};
  if (options.as !== undefined) headers.cookie = cookies.get(options.as)!;
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  return request(`${server.url}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
}

beforeAll(async () => {
  servers = await startTwoServers('mm-http', ADMIN, { MATCHMAKING_SERVER_TTL_MS: '3000' });
  ({ a, b } = servers);
  for (const login of ['alice', 'bob', 'carol', 'dave']) await signIn(login < 'c' ? a : b, login);
}, 60_000);

afterAll(async () => {
  await servers?.stop();
});

describe('matchmaking over HTTP', () => {
  it('refuses bad input with 4xx and stable codes', async () => {
    const cases: [
      Running,
      string,
      string,
      { as?: string; body?: unknown; token?: string },
      number,
      string,
    ][] = [
      [a, 'POST', '/api/1/matchmaking/join', { body: {} }, 401, 'AUTH_REQUIRED'],
      [
        a,
        'POST',
        '/api/1/matchmaking/join',
        { as: 'alice', body: { mode: 'chess' } },
        400,
        'MM_UNKNOWN_MODE',
      ],
      [
        a,
        'POST',
        '/api/1/matchmaking/join',
        { as: 'alice', body: { region: 'mars' } },
        400,
        'MM_UNKNOWN_REGION',
      ],
      [
        a,
        'POST',
        '/api/1/matchmaking/join',
        { as: 'alice', body: { rating: 99_999 } },
        400,
        'MM_INVALID_RATING',
      ],
      [
        a,
        'POST',
        '/api/1/matchmaking/join',
        { as: 'alice', body: { rating: 'high' } },
        400,
        'VALIDATION_FAILED',
      ],
      [
        a,
        'POST',
        '/api/1/matchmaking/join',
        { as: 'alice', body: { party: ['bob'] } },
        400,
        'MM_INVALID_PARTY',
      ],
      [a, 'POST', '/api/1/matchmaking/join', { as: 'alice', body: { extra: 1 } }, 400, 'VALIDATION_FAILED'],
      [a, 'POST', '/api/1/matchmaking/leave', { as: 'alice' }, 409, 'MM_NOT_QUEUED'],
      [a, 'POST', '/api/1/servers/register', { body: { address: 'x:1', capacity: 1 } }, 401, 'UNAUTHORIZED'],
      [a, 'POST', '/api/1/servers/nope/heartbeat', { token: 'forged' }, 404, 'MM_SERVER_NOT_FOUND'],
      [
        a,
        'POST',
        '/api/1/matches/nope/result',
        { token: 'forged', body: { server: 'nope', winner: 0 } },
        404,
        'MM_SERVER_NOT_FOUND',
      ],
      [a, 'DELETE', '/api/1/servers/nope', {}, 403, 'MM_SERVER_FORBIDDEN'],
      [a, 'GET', '/api/1/servers?limit=1000', { token: ADMIN }, 400, 'VALIDATION_FAILED'],
      [a, 'GET', '/api/1/servers?after=%25', { token: ADMIN }, 400, 'MM_SERVER_INVALID'],
    ];
    for (const [server, method, path, options, status, code] of cases) {
      const response = await call(server, method, path, options);
      expect([path, response.status, errorCode(response)]).toEqual([path, status, code]);
    }
    // A real server, a forged token.
    const registered = await call(a, 'POST', '/api/1/servers/register', {
      token: ADMIN,
      body: { id: 'probe', address: 'probe:1', capacity: 1, modes: ['1v1'] },
    });
    expect(registered.status).toBe(200);
    const forged = await call(b, 'POST', '/api/1/servers/probe/heartbeat', { token: 'forged' });
    expect([forged.status, errorCode(forged)]).toEqual([403, 'MM_SERVER_FORBIDDEN']);
    const ok = await call(b, 'POST', '/api/1/servers/probe/heartbeat', {
      token: registered.body.token as string,
    });
    expect(ok.status).toBe(200);
    expect(
      (await call(a, 'DELETE', '/api/1/servers/probe', { token: registered.body.token as string })).body,
    ).toEqual({ moved: 0, failed: 0 });
  });

  it('matches two players on different instances and moves their match off a SIGKILLed game server', async () => {
    // Two game servers: one a separate process heartbeating over HTTP, one driven by the test.
    const doomed = await call(a, 'POST', '/api/1/servers/register', {
      token: ADMIN,
      body: { id: 'doomed', address: 'doomed:7777', capacity: 5 },
    });
    // It prints each heartbeat's status; the test goes on once one was accepted (a process can
    // take a while to start on a loaded machine).
    const url = `${b.url}/api/1/servers/doomed/heartbeat`;
    const child: ChildProcess = spawn(
      process.execPath,
      [
        '-e',
        `setInterval(() => fetch(${JSON.stringify(url)}, { method: 'POST', headers: { authorization: 'Bearer ${doomed.body.token as string}' } }).then((r) => console.log(r.status), () => {}), 100);`,
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('200')) resolve();
        else reject(new Error(`heartbeat refused: ${chunk.toString()}`));
      });
    });
    try {
      const first = await call(a, 'POST', '/api/1/matchmaking/join', { as: 'alice', body: {} });
      expect(first.body).toMatchObject({
        state: expect.stringMatching(/queued|matching|matched/),
        mode: '1v1',
        region: 'any',
      });
      const again = await call(a, 'POST', '/api/matchmaking/join/', { as: 'alice', body: {} });
      expect(again.status).toBe(200);
      expect(again.body.ticket ?? first.body.ticket).toBe(first.body.ticket);
      await call(b, 'POST', '/api/1/matchmaking/join', { as: 'carol', body: {} });
      let aliceStatus: Record<string, unknown> = {};
      await waitFor('alice matched', async () => {
        aliceStatus = (await call(a, 'GET', '/api/1/matchmaking/status', { as: 'alice' })).body;
        return aliceStatus.state === 'matched';
      });
      const carolStatus = (await call(b, 'GET', '/api/matchmaking/status/', { as: 'carol' })).body;
      const match = aliceStatus.match as { id: string; server: { id: string }; players: { id: string }[] };
      expect((carolStatus.match as { id: string }).id).toBe(match.id);
      expect(match.server, JSON.stringify(aliceStatus)).toEqual({ id: 'doomed', address: 'doomed:7777' });
      expect(match.players.map((p) => p.id).sort()).toEqual([ids.get('alice'), ids.get('carol')].sort());
      const stats = (await call(b, 'GET', '/api/1/matchmaking/stats', { as: 'carol' })).body as {
        queues: { matchesMade: number }[];
      };
      expect(stats.queues[0]!.matchesMade).toBe(1);

      // A second server with room; then the first one's process dies.
      const spare = await call(b, 'POST', '/api/1/servers/register', {
        token: ADMIN,
        body: { id: 'spare', address: 'spare:7777', capacity: 5 },
      });
      const beat = setInterval(
        () => void call(a, 'POST', '/api/1/servers/spare/heartbeat', { token: spare.body.token as string }),
        100,
      );
      try {
        child.kill('SIGKILL');
        const killedAt = performance.now();
        await waitFor(
          'match moved to spare',
          async () => {
            const status = (await call(b, 'GET', '/api/1/matchmaking/status', { as: 'carol' })).body;
            return (status.match as { server: { id: string } | null }).server?.id === 'spare';
          },
          10_000,
        );
        // Within the TTL (3 s) plus one pool tick and the machine's slack.
        expect(performance.now() - killedAt).toBeLessThan(8000);
        const servers = (await call(a, 'GET', '/api/1/servers', { token: ADMIN })).body as {
          servers: { id: string; live: boolean; load: number }[];
        };
        expect(servers.servers.map((s) => [s.id, s.live, s.load])).toEqual([
          ['doomed', false, 0],
          ['spare', true, 1],
        ]);
      } finally {
        clearInterval(beat);
      }
      // A forged result is refused; the real one moves the ratings.
      const forged = await call(a, 'POST', `/api/1/matches/${match.id}/result`, {
        token: doomed.body.token as string,
        body: { server: 'spare', winner: 0 },
      });
      expect([forged.status, errorCode(forged)]).toEqual([403, 'MM_SERVER_FORBIDDEN']);
      const result = await call(a, 'POST', `/api/1/matches/${match.id}/result`, {
        token: spare.body.token as string,
        body: { server: 'spare', winner: 0 },
      });
      expect(result.status).toBe(200);
      expect(
        (result.body.ratings as { after: number; before: number }[])
          .map((r) => r.after - r.before)
          .sort((x, y) => x - y),
      ).toEqual([-16, 16]);
      // Leaving works once; leaving again is refused.
      await call(a, 'POST', '/api/1/matchmaking/join', { as: 'bob', body: {} });
      expect((await call(a, 'POST', '/api/1/matchmaking/leave', { as: 'bob' })).body).toEqual({ left: true });
      const leaveAgain = await call(a, 'POST', '/api/1/matchmaking/leave', { as: 'bob' });
      expect([leaveAgain.status, errorCode(leaveAgain)]).toEqual([409, 'MM_NOT_QUEUED']);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
