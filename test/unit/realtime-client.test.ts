/**
 * The realtime client's own logic: backoff, per-stream ordering, and the connection life cycle
 * (reconnect through the URL list, recovery by offset with live messages interleaved, resync,
 * rejoin, dead-connection detection, policy close). The server side here is a few lines of `ws`
 * that speak the wire protocol (docs/realtime-protocol.md) as scripted by each test, so that each
 * reconnect case is exact; the client against the real hub is tested in test/browser/realtime.test.ts
 * and test/integration/realtime-client.test.ts.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import {
  backoffDelay,
  createRealtimeClient,
  type Delivery,
  type RealtimeClient,
  RealtimeServerError,
} from '../../src/realtime-client/index.js';
import { StreamTracker } from '../../src/realtime-client/streams.js';

describe('backoffDelay', () => {
  it('grows by the factor up to the cap, with the jitter taking up to its share off', () => {
    const options = { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0.5 };
    expect([0, 1, 2, 3, 4, 10].map((n) => backoffDelay(n, options, () => 0))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect(backoffDelay(2, options, () => 0.999_999)).toBe(200);
    expect(backoffDelay(2, { ...options, jitter: 0 }, () => 0.9)).toBe(400);
    for (let i = 0; i < 100; i++) {
      const delay = backoffDelay(3, options);
      expect(delay).toBeGreaterThanOrEqual(400);
      expect(delay).toBeLessThanOrEqual(800);
    }
  });
});

describe('StreamTracker', () => {
  const msg = (s: string, o: number) => ({ t: 'msg' as const, s, o, ev: 'e', d: o });

  it('drops duplicates and messages at or below the position', () => {
    const tracker = new StreamTracker();
    tracker.set('broadcast', { epoch: 'e1', offset: 5 });
    expect(tracker.accept(msg('broadcast', 5))).toEqual({ deliver: [] });
    expect(tracker.accept(msg('broadcast', 6)).deliver.map((m) => m.o)).toEqual([6]);
    expect(tracker.accept(msg('broadcast', 6))).toEqual({ deliver: [] });
    expect(tracker.accept(msg('broadcast', 0)).deliver.map((m) => m.o)).toEqual([0]);
    expect(tracker.position('broadcast')).toEqual({ epoch: 'e1', offset: 6 });
  });

  it('holds a stream at a gap and says where to recover from', () => {
    const tracker = new StreamTracker();
    tracker.set('user', { epoch: 'e1', offset: 2 });
    expect(tracker.accept(msg('user', 5))).toEqual({ deliver: [], gap: { epoch: 'e1', offset: 2 } });
    expect(tracker.isHolding('user')).toBe(true);
    tracker.accept(msg('user', 6));
    tracker.accept(msg('user', 3));
    tracker.accept(msg('user', 4));
    expect(tracker.release('user').map((m) => m.o)).toEqual([3, 4, 5, 6]);
    // Without history (epoch ''), offsets say nothing about gaps.
    tracker.set('room:x', { epoch: '', offset: 0 });
    expect(tracker.accept(msg('room:x', 7)).deliver.map((m) => m.o)).toEqual([7]);
  });

  it('holds during a recovery and releases in offset order, once each', () => {
    const tracker = new StreamTracker();
    tracker.set('room:a', { epoch: 'e1', offset: 3 });
    tracker.hold('room:a');
    for (const o of [7, 4, 5, 7, 3, 6]) expect(tracker.accept(msg('room:a', o))).toEqual({ deliver: [] });
    expect(tracker.release('room:a').map((m) => m.o)).toEqual([4, 5, 6, 7]);
    expect(tracker.position('room:a')).toEqual({ epoch: 'e1', offset: 7 });
    expect(tracker.accept(msg('room:a', 8)).deliver.map((m) => m.o)).toEqual([8]);
  });

  it('restarts from a new position when recovery is impossible', () => {
    const tracker = new StreamTracker();
    tracker.set('room:a', { epoch: 'e1', offset: 3 });
    tracker.hold('room:a');
    tracker.accept(msg('room:a', 11));
    tracker.accept(msg('room:a', 9));
    expect(tracker.release('room:a', { epoch: 'e2', offset: 10 }).map((m) => m.o)).toEqual([11]);
    expect(tracker.position('room:a')).toEqual({ epoch: 'e2', offset: 11 });
  });
});

// ---- a scripted protocol peer ----

interface Peer {
  url: string;
  server: WebSocketServer;
  sockets: WebSocket[];
  frames: Record<string, unknown>[];
  close(): Promise<void>;
}

type Script = (socket: WebSocket, frame: Record<string, unknown>, peer: Peer) => void;

const peers: Peer[] = [];
const clients: RealtimeClient<Events>[] = [];

async function startPeer(
  welcome: (peer: Peer) => Record<string, unknown>,
  script: Script = answerPlainly,
): Promise<Peer> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const peer: Peer = {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/api/1/ws/test`,
    server,
    sockets: [],
    frames: [],
    close: () =>
      new Promise((resolve) => {
        for (const socket of server.clients) socket.terminate();
        server.close(() => resolve());
      }),
  };
  server.on('connection', (socket) => {
    peer.sockets.push(socket);
    socket.send(
      JSON.stringify({
        t: 'welcome',
        conn: 'c',
        instance: 'i',
        endpoint: 'test',
        user: null,
        heartbeatMs: 25_000,
        maxBytes: 65_536,
        ...welcome(peer),
      }),
    );
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Record<string, unknown>;
      peer.frames.push(frame);
      script(socket, frame, peer);
    });
  });
  peers.push(peer);
  return peer;
}

function answerPlainly(socket: WebSocket, frame: Record<string, unknown>): void {
  if (frame.t === 'ping') socket.send(JSON.stringify({ t: 'pong', id: frame.id }));
  else if (frame.t === 'join')
    socket.send(
      JSON.stringify({ t: 'ok', id: frame.id, stream: `room:${String(frame.room)}`, epoch: 'r', offset: 0 }),
    );
  else if (frame.t === 'pub') socket.send(JSON.stringify({ t: 'ok', id: frame.id, offset: 1 }));
  else if (frame.t === 'leave') socket.send(JSON.stringify({ t: 'ok', id: frame.id }));
}

const send = (socket: WebSocket | undefined, frame: Record<string, unknown>) =>
  socket?.send(JSON.stringify(frame));
const msg = (s: string, o: number) => ({ t: 'msg', s, o, ev: 'n', d: o });

type Events = { n: number; chat: { text: string } };

function client(urls: string[], extra: Partial<Parameters<typeof createRealtimeClient>[0]> = {}) {
  const c = createRealtimeClient<Events>({
    url: urls,
    WebSocket,
    backoff: { initialMs: 20, maxMs: 200 },
    ...extra,
  });
  clients.push(c);
  return c;
}

function collect(c: RealtimeClient<Events>): Delivery<Events>[] {
  const got: Delivery<Events>[] = [];
  c.on('message', (m) => got.push(m));
  return got;
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(peers.splice(0).map((p) => p.close()));
});

describe('RealtimeClient against a scripted peer', () => {
  it('connects, publishes with an acknowledgement, and delivers typed messages', async () => {
    const peer = await startPeer(() => ({ streams: { broadcast: { epoch: 'b', offset: 0 } } }));
    const c = client([peer.url]);
    const got = collect(c);
    const texts: string[] = [];
    c.onMessage('chat', (m) => texts.push(m.data.text));
    const welcome = await c.connect();
    expect(welcome.endpoint).toBe('test');
    expect(c.state).toBe('open');
    await expect(c.publish('broadcast', 'chat', { text: 'hi' })).resolves.toEqual({ offset: 1 });
    expect(peer.frames).toContainEqual({
      t: 'pub',
      to: 'broadcast',
      ev: 'chat',
      d: { text: 'hi' },
      id: expect.any(Number),
    });
    send(peer.sockets[0], { t: 'msg', s: 'broadcast', o: 1, ev: 'chat', d: { text: 'hello' }, from: 'u1' });
    await until(() => got.length === 1, 'the delivery');
    expect(got[0]).toEqual({
      stream: 'broadcast',
      offset: 1,
      ev: 'chat',
      data: { text: 'hello' },
      from: 'u1',
    });
    expect(texts).toEqual(['hello']);
    expect(await c.ping()).toBeGreaterThanOrEqual(0);
  });

  it('rejects a refused publish with the server code and reports unsolicited errors as events', async () => {
    const peer = await startPeer(
      () => ({ streams: {} }),
      (socket, frame) => send(socket, { t: 'err', id: frame.id, code: 'WS_FORBIDDEN', message: 'no' }),
    );
    const c = client([peer.url]);
    const errors: { code: string }[] = [];
    c.on('error', (e) => errors.push(e));
    await c.connect();
    const refused = await c.publish('broadcast', 'n', 1).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RealtimeServerError);
    expect((refused as RealtimeServerError).code).toBe('WS_FORBIDDEN');
    send(peer.sockets[0], { t: 'err', code: 'WS_RATE', message: 'slow down' });
    send(peer.sockets[0], { t: 'nonsense' });
    await until(() => errors.length === 2, 'two error events');
    expect(errors.map((e) => e.code)).toEqual(['WS_RATE', 'RT_PROTOCOL']);
  });

  it('reconnects to the next URL and recovers the broadcast stream once each, in order, with live messages in between', async () => {
    const a = await startPeer(() => ({ streams: { broadcast: { epoch: 'b', offset: 0 } } }));
    // b: at 6 now; it answers the recover with 3..6 and lets two live messages (6, 7) cut in.
    const b = await startPeer(
      () => ({ streams: { broadcast: { epoch: 'b', offset: 6 } } }),
      (socket, frame) => {
        if (frame.t !== 'recover') return;
        send(socket, msg('broadcast', 7));
        send(socket, msg('broadcast', 3));
        send(socket, msg('broadcast', 4));
        send(socket, msg('broadcast', 6));
        send(socket, msg('broadcast', 5));
        send(socket, msg('broadcast', 6));
        send(socket, { t: 'ok', id: frame.id, stream: 'broadcast', epoch: 'b', offset: 6, recovered: true });
        send(socket, msg('broadcast', 8));
      },
    );
    const c = client([a.url, b.url]);
    const got = collect(c);
    const opens: boolean[] = [];
    c.on('open', (e) => opens.push(e.reconnected));
    await c.connect();
    send(a.sockets[0], msg('broadcast', 1));
    send(a.sockets[0], msg('broadcast', 2));
    await until(() => got.length === 2, 'the first two');
    a.sockets[0]?.close(1001, 'going away');
    await until(() => got.length === 8, 'recovered and live messages');
    expect(got.map((m) => m.offset)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(b.frames.find((f) => f.t === 'recover')).toEqual({
      t: 'recover',
      stream: 'broadcast',
      since: { epoch: 'b', offset: 2 },
      id: expect.any(Number),
    });
    expect(opens).toEqual([false, true]);
    expect(c.url).toBe(b.url);
    expect(c.position('broadcast')).toEqual({ epoch: 'b', offset: 8 });
  });

  it('recovers a gap in a live stream (messages lost on the way) before delivering past it', async () => {
    const peer = await startPeer(
      () => ({ streams: { broadcast: { epoch: 'b', offset: 0 } } }),
      (socket, frame) => {
        if (frame.t !== 'recover') return;
        send(socket, msg('broadcast', 2));
        send(socket, msg('broadcast', 3));
        send(socket, { t: 'ok', id: frame.id, stream: 'broadcast', epoch: 'b', offset: 4, recovered: true });
      },
    );
    const c = client([peer.url]);
    const got = collect(c);
    await c.connect();
    for (const o of [1, 4, 5]) send(peer.sockets[0], msg('broadcast', o));
    await until(() => got.length === 5, 'five messages');
    expect(got.map((m) => m.offset)).toEqual([1, 2, 3, 4, 5]);
    expect(peer.frames.filter((f) => f.t === 'recover')).toEqual([
      { t: 'recover', stream: 'broadcast', since: { epoch: 'b', offset: 1 }, id: expect.any(Number) },
    ]);
  });

  it('does not ask to recover when nothing was missed, and says resync when the epoch changed', async () => {
    let epoch = 'e1';
    const peer = await startPeer(() => ({ streams: { broadcast: { epoch, offset: 1 } } }));
    const c = client([peer.url]);
    const resyncs: unknown[] = [];
    c.on('resync', (e) => resyncs.push(e));
    await c.connect();
    peer.sockets[0]?.close(1001);
    await until(() => peer.sockets.length === 2 && c.state === 'open', 'the reconnect');
    expect(peer.frames.filter((f) => f.t === 'recover')).toEqual([]);
    expect(resyncs).toEqual([]);
    epoch = 'e2';
    peer.sockets[1]?.close(1001);
    await until(() => resyncs.length === 1, 'the resync');
    expect(resyncs).toEqual([{ stream: 'broadcast', reason: 'epoch' }]);
    expect(c.position('broadcast')).toEqual({ epoch: 'e2', offset: 1 });
  });

  it('rejoins its rooms with their offsets and says resync when the history is too short', async () => {
    let connection = 0;
    const peer = await startPeer(
      () => {
        connection++;
        return { streams: {} };
      },
      (socket, frame) => {
        if (frame.t === 'leave') send(socket, { t: 'ok', id: frame.id });
        if (frame.t !== 'join') return;
        const since = frame.since as { offset: number } | undefined;
        if (since === undefined) {
          send(socket, {
            t: 'ok',
            id: frame.id,
            stream: `room:${String(frame.room)}`,
            epoch: 'r',
            offset: 10,
          });
        } else if (frame.room === 'kept') {
          send(socket, msg('room:kept', 11));
          send(socket, msg('room:kept', 12));
          send(socket, {
            t: 'ok',
            id: frame.id,
            stream: 'room:kept',
            epoch: 'r',
            offset: 12,
            recovered: true,
          });
        } else {
          send(socket, {
            t: 'ok',
            id: frame.id,
            stream: 'room:lost',
            epoch: 'r',
            offset: 40,
            recovered: false,
          });
        }
      },
    );
    const c = client([peer.url]);
    const got = collect(c);
    const resyncs: unknown[] = [];
    c.on('resync', (e) => resyncs.push(e));
    await c.connect();
    await expect(c.join('kept')).resolves.toEqual({ room: 'kept', epoch: 'r', offset: 10 });
    await c.join('lost');
    peer.sockets[0]?.close(4009, 'slow consumer');
    await until(() => connection === 2 && got.length === 2 && resyncs.length === 1, 'the rejoin');
    expect(got.map((m) => `${m.stream}@${m.offset}`)).toEqual(['room:kept@11', 'room:kept@12']);
    expect(resyncs).toEqual([{ stream: 'room:lost', reason: 'history' }]);
    const rejoins = peer.frames.filter((f) => f.t === 'join').slice(2);
    expect(rejoins).toEqual([
      { t: 'join', room: 'kept', since: { epoch: 'r', offset: 10 }, id: expect.any(Number) },
      { t: 'join', room: 'lost', since: { epoch: 'r', offset: 10 }, id: expect.any(Number) },
    ]);
    expect(c.position('room:lost')).toEqual({ epoch: 'r', offset: 40 });
    await c.leave('kept');
    expect(c.rooms).toEqual(['lost']);
  });

  it('notices a connection that stopped answering and moves on', async () => {
    const silent = await startPeer(
      () => ({ streams: {} }),
      () => {},
    );
    const alive = await startPeer(() => ({ streams: {} }));
    const c = client([silent.url, alive.url], { pingIntervalMs: 100, pongTimeoutMs: 300 });
    const closes: number[] = [];
    c.on('close', (e) => closes.push(e.code));
    await c.connect();
    await until(() => c.url === alive.url && c.state === 'open', 'the move to the live peer');
    expect(closes).toEqual([4000]);
  });

  it('tries the next URL when one refuses connections, and stops on a policy close', async () => {
    const down = await startPeer(() => ({ streams: {} }));
    const downUrl = down.url;
    await down.close();
    const up = await startPeer(() => ({ streams: {} }));
    const c = client([downUrl, up.url]);
    const states: string[] = [];
    c.on('state', (e) => states.push(e.state));
    await c.connect();
    expect(c.url).toBe(up.url);
    up.sockets[0]?.close(1008, 'session ended');
    await until(() => c.state === 'closed', 'the stop');
    expect(states).toEqual(['connecting', 'reconnecting', 'open', 'closed']);
    await expect(c.publish('broadcast', 'n', 1)).rejects.toMatchObject({ code: 'RT_NOT_CONNECTED' });
  });
});
