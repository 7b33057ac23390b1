/**
 * Frames sent in one turn leave in one write per socket: the first frame corks the socket, one
 * nextTick uncorks every socket corked in the turn, and the peer gets every frame, in order.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { corkForTurn } from '../../../src/realtime/cork.js';

type WithSocket = WebSocket & { _socket?: { writableCorked: number } };

describe('corkForTurn', () => {
  let server: WebSocketServer;
  let port: number;
  beforeAll(async () => {
    server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('corks each socket once per turn and uncorks it before the next', async () => {
    const accepted = once(server, 'connection');
    const clients = [new WebSocket(`ws://127.0.0.1:${port}`), new WebSocket(`ws://127.0.0.1:${port}`)];
    const received: string[][] = [[], []];
    const done = clients.map(
      (client, i) =>
        new Promise<void>((resolve) => {
          client.on('message', (data) => {
            received[i]!.push(String(data));
            if (received[i]!.length === 10) resolve();
          });
        }),
    );
    await Promise.all(clients.map((client) => once(client, 'open')));
    await accepted;
    while (server.clients.size < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    const sockets = [...server.clients] as WithSocket[];
    for (let n = 0; n < 10; n++) {
      for (const ws of sockets) {
        corkForTurn(ws);
        ws.send(`m${n}`);
      }
    }
    // ws corks and uncorks around each frame itself; ours is the one level left.
    for (const ws of sockets) expect(ws._socket?.writableCorked).toBe(1);
    await new Promise((resolve) => process.nextTick(resolve));
    for (const ws of sockets) expect(ws._socket?.writableCorked).toBe(0);
    await Promise.all(done);
    const expected = Array.from({ length: 10 }, (_, n) => `m${n}`);
    expect(received).toEqual([expected, expected]);
    for (const client of clients) client.close();
  });
});
