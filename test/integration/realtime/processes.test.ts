/**
 * Three `plexus start` processes (src/main.ts through tsx) on one Redis and one SQLite file: an
 * endpoint an admin defines at runtime on one is usable on the others at once; a SIGKILLed process's
 * users leave presence within REALTIME_PRESENCE_TTL_MS (a `leave` event reaches the room); a
 * SIGTERMed one takes its users out of presence first and closes its connections with 1001.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, runCli } from '../../e2e/cli-process.js';
import { allocatePort, releasePort } from '../../support/ports.js';
import { uniquePrefix } from '../../support/redis.js';
import { ADMIN_TOKEN, Client, eventually, sleep } from './harness.js';

const TTL_MS = 2000;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };

describe('realtime across plexus start processes', () => {
  let dir: string;
  const runs: CliRun[] = [];
  const ports: number[] = [];
  const urls: string[] = [];
  const clients: Client[] = [];

  const ws = (i: number, endpoint: string) => `${urls[i]!.replace('http', 'ws')}/ws/${endpoint}`;
  const open = async (i: number, endpoint: string) => {
    const client = await Client.open(ws(i, endpoint));
    clients.push(client);
    return client;
  };
  const presence = async (i: number, room: string) =>
    (await (await fetch(`${urls[i]}/api/1/ws/bench-rt/rooms/${room}/presence`)).json()) as Record<
      string,
      number
    >;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'plexus-realtime-'));
    const env = {
      REDIS_MODE: 'single',
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: uniquePrefix('rtproc'),
      DATABASE_URL: `sqlite:${join(dir, 'plexus.db')}`,
      PLEXUS_ADMIN_TOKEN: ADMIN_TOKEN,
      PLEXUS_APPS: '',
      REALTIME_PRESENCE_TTL_MS: String(TTL_MS),
      LOG_LEVEL: 'info',
    };
    for (let i = 0; i < 3; i++) {
      const port = await allocatePort();
      ports.push(port);
      urls.push(`http://127.0.0.1:${port}`);
      runs.push(runCli(['start', '--host', '127.0.0.1', '--port', String(port)], { cwd: dir, env }));
      // One at a time: the first creates the database.
      await runs[i]!.waitFor(/Plexus ready/, 45_000);
    }
  }, 150_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    for (const run of runs) {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGTERM');
      await run.exited;
    }
    for (const port of ports) releasePort(port);
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves an endpoint defined at runtime on every process at once', async () => {
    const put = await fetch(`${urls[0]}/api/1/admin/ws/endpoints/bench-rt`, {
      method: 'PUT',
      headers: admin,
      body: JSON.stringify({ clientPublish: ['broadcast', 'room'], history: true }),
    });
    expect(put.status).toBe(200);
    const [c0, c1, c2] = [await open(0, 'bench-rt'), await open(1, 'bench-rt'), await open(2, 'bench-rt')];
    expect((await c2.request({ t: 'pub', to: 'broadcast', ev: 'hi', d: { n: 1 } })).t).toBe('ok');
    for (const c of [c0, c1, c2]) await c.until('hi', () => c.messages().length === 1);
    const listed = (await (
      await fetch(`${urls[1]}/api/1/admin/ws/endpoints`, { headers: admin })
    ).json()) as {
      endpoints: { name: string }[];
    };
    expect(listed.endpoints.map((e) => e.name)).toEqual(['bench-rt']);
  }, 30_000);

  it("takes a SIGKILLed process's users out of presence within the TTL", async () => {
    const watcher = await open(0, 'bench-rt');
    await watcher.request({ t: 'join', room: 'k' });
    // Anonymous connections count as connections; users come from tokens.
    const token = (await (
      await fetch(`${urls[2]}/api/1/ws/bench-rt/token`, { method: 'POST' })
    ).json()) as Record<string, unknown>;
    expect(token.error).toMatchObject({ code: 'AUTH_REQUIRED' });
    const doomed = await open(2, 'bench-rt');
    await doomed.request({ t: 'join', room: 'k' });
    await eventually('2 connections', async () => (await presence(1, 'k')).connections === 2);
    expect(await presence(1, 'k')).toMatchObject({ connections: 2, instances: 2 });

    runs[2]!.child.kill('SIGKILL');
    await runs[2]!.exited;
    const killedAt = Date.now();
    await eventually('swept', async () => (await presence(1, 'k')).connections === 1, TTL_MS * 3);
    expect(Date.now() - killedAt).toBeLessThan(TTL_MS + 1500);
    expect(await presence(0, 'k')).toMatchObject({ connections: 1, instances: 1 });
  }, 30_000);

  it('on SIGTERM removes its presence first, then closes its connections with 1001', async () => {
    const leaving = await open(1, 'bench-rt');
    await leaving.request({ t: 'join', room: 't' });
    const staying = await open(0, 'bench-rt');
    await staying.request({ t: 'join', room: 't' });
    await eventually('2 in t', async () => (await presence(0, 't')).connections === 2);
    runs[1]!.child.kill('SIGTERM');
    expect(await leaving.closed()).toBe(1001);
    // Gone at once, not after the TTL.
    expect((await presence(0, 't')).connections).toBe(1);
    await runs[1]!.exited;
    await sleep(100);
    expect(staying.closeCode).toBeUndefined();
  }, 30_000);
});
