/**
 * The return probe on its own, against small TCP servers of the test's: a node that answers, one
 * that refuses connections, and one that accepts but stays silent (a paused Redis) until it
 * answers the PING still outstanding — heard at once, without waiting for the next probe.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ReturnProbe } from '../../../src/redis/topology/return-probe.js';

const servers: Server[] = [];
const accepted: Socket[] = [];
const probes: ReturnProbe[] = [];

afterEach(async () => {
  for (const probe of probes.splice(0)) probe.close();
  for (const socket of accepted.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A server on a free port; `onSocket` decides how it answers. */
async function server(onSocket: (socket: Socket) => void): Promise<{ address: string; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const s = createServer((socket) => {
    sockets.push(socket);
    accepted.push(socket);
    onSocket(socket);
  });
  servers.push(s);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  return { address: `127.0.0.1:${port}`, sockets };
}

function probe(waitMs = 100, onLateAnswer?: () => void): ReturnProbe {
  const p = new ReturnProbe({ tls: false, waitMs, dropMs: 2000, ...(onLateAnswer ? { onLateAnswer } : {}) });
  probes.push(p);
  return p;
}

describe('ReturnProbe', () => {
  it('hears a node that answers PING, an error reply included', async () => {
    const pong = await server((s) => s.on('data', () => s.write('+PONG\r\n')));
    const noauth = await server((s) => s.on('data', () => s.write('-NOAUTH Authentication required.\r\n')));
    expect(await probe().answers([pong.address, noauth.address])).toBe(true);
  });

  it('says no for a refused connection, for any silent node, and for no node at all', async () => {
    const pong = await server((s) => s.on('data', () => s.write('+PONG\r\n')));
    const closed = await server(() => {});
    const refused = closed.address;
    await new Promise((resolve) => servers.pop()!.close(resolve));
    const p = probe();
    expect(await p.answers([refused])).toBe(false);
    expect(await p.answers([pong.address, refused])).toBe(false);
    expect(await p.answers([])).toBe(false);
  });

  it('keeps the PING of a silent node outstanding, and hears it the moment the node answers', async () => {
    const silent = await server(() => {});
    const p = probe(100);
    expect(await p.answers([silent.address])).toBe(false);
    expect(silent.sockets).toHaveLength(1);
    const asking = p.answers([silent.address]);
    silent.sockets[0]!.write('+PONG\r\n');
    const started = performance.now();
    expect(await asking).toBe(true);
    expect(performance.now() - started).toBeLessThan(100);
    // One connection, one PING at a time: nothing was sent again while the first was unanswered.
    expect(silent.sockets).toHaveLength(1);
  });

  it('tells at once when a PING it gave up on is answered between two probes, and only then', async () => {
    const pong = await server((s) => s.on('data', () => s.write('+PONG\r\n')));
    const silent = await server(() => {});
    const late: number[] = [];
    // A long wait, so that the prompt answer below is never taken for a late one on a busy machine.
    const p = probe(1000, () => late.push(performance.now()));
    expect(await p.answers([pong.address])).toBe(true);
    expect(await p.answers([silent.address])).toBe(false);
    expect(late).toHaveLength(0); // a prompt answer, and no answer yet, are no late news
    // No probe is running now: only the late answer itself can tell.
    silent.sockets[0]!.write('+PONG\r\n');
    await waitUntil(() => late.length > 0);
    // Answered: the next probe asks afresh, and a prompt answer calls nothing.
    const asking = p.answers([silent.address]);
    await waitUntil(() => silent.sockets[0]!.bytesRead > 'PING\r\n'.length);
    silent.sockets[0]!.write('+PONG\r\n');
    expect(await asking).toBe(true);
    expect(late).toHaveLength(1);
  });
});

async function waitUntil(check: () => boolean): Promise<void> {
  const deadline = performance.now() + 2000;
  while (!check()) {
    if (performance.now() > deadline) throw new Error('condition not met within 2 s');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
