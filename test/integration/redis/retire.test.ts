/**
 * `retire()` (src/redis/topology/single.ts) on a client whose TCP connection is still being
 * opened: node-redis 6 brings such a client up anyway after `destroy()`, with its subscriptions,
 * which the layer's return to Redis would then hold twice (the tenth session's loop: "PUBLISH
 * answered 2 subscribers instead of 1"). The connection is kept pending for real: the server is
 * paused with its accept queue full (`--tcp-backlog 1`), so the kernel drops the client's SYN
 * until the server runs again.
 */
import { connect, type Socket } from 'node:net';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retire } from '../../../src/redis/topology/single.js';
import { sleep } from '../../support/redis-process.js';
import { type RedisSingleHandle, startSingle } from '../../support/topology.js';

let redis: RedisSingleHandle;

beforeAll(async () => {
  redis = await startSingle(['--tcp-backlog', '1']);
});
afterAll(async () => {
  await redis?.stop();
});

/** The connections the server has, counted by a client of the test's own. */
async function connectionsOnServer(): Promise<number> {
  const check = createClient({ url: redis.url });
  await check.connect();
  const list = String(await check.sendCommand(['CLIENT', 'LIST']));
  await check.quit();
  return list.trim().split('\n').length - 1;
}

describe('retire', () => {
  it('leaves no connection behind when the client was still connecting', async () => {
    const client = createClient({ url: redis.url, socket: { reconnectStrategy: 100 } });
    client.on('error', () => {});
    redis.node.pause();
    // The accept queue filled, the client's SYN is dropped and retried: its connect is pending.
    const fillers: Socket[] = Array.from({ length: 4 }, () => connect(redis.node.port, '127.0.0.1'));
    for (const filler of fillers) filler.on('error', () => {});
    await sleep(200);
    const connecting = client.connect().catch(() => undefined);
    await sleep(300);
    retire(client);
    for (const filler of fillers) filler.destroy();
    redis.node.resume();
    // The SYN is retried 1 s after the first: give the connection time to come up, if it does.
    await sleep(3000);
    await connecting;
    expect(client.isReady).toBe(false);
    expect(await connectionsOnServer()).toBe(0);
  }, 20_000);
});
