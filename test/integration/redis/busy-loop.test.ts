/**
 * A busy event loop is not a slow Redis. When this process blocks (a fan-out to thousands of
 * sockets, a long synchronous task) for longer than the command timeout, the answers Redis sent
 * meanwhile wait unread in the socket, and timers run before the socket is read. Before the
 * deadline queue and the health check's timeout waited for the poll phase (afterPendingIo in
 * src/redis/deadlines.ts), such a block timed out every command in flight and the health check
 * declared a healthy Redis down: the realtime hub then delivered locally only, and the fan-out
 * benchmark lost a fifth of its messages at 1,000 msgs/s.
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRedisConfig } from '../../../src/config/redis.js';
import type { LayerState } from '../../../src/redis/layer.js';
import { RedisLayer } from '../../../src/redis/layer.js';
import { withTimeout } from '../../../src/redis/topology/client-options.js';
import { TEST_REDIS_URL, uniquePrefix } from '../../support/redis.js';

/** Blocks the event loop, as a long synchronous task does. */
function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy
  }
}

const COMMAND_TIMEOUT_MS = 250;

describe('a blocked event loop', () => {
  let layer: RedisLayer;
  const states: LayerState[] = [];

  beforeAll(async () => {
    const config = loadRedisConfig({
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: uniquePrefix('busy'),
      REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS),
      REDIS_HEALTH_INTERVAL_MS: '100',
    });
    layer = new RedisLayer(config);
    await layer.connect();
    expect(layer.state).toBe('ready');
    layer.on('state', ({ state }) => states.push(state));
  });

  afterAll(async () => {
    await layer?.close();
  });

  it('neither times out the commands in flight nor trips the breaker', async () => {
    const key = layer.keys.key('busy', 'k');
    await layer.store.set(key, 'v', { px: 60_000 });
    let answered = 0;
    for (let round = 0; round < 6; round++) {
      const calls = Array.from({ length: 50 }, () => layer.store.get(key));
      // Several times the command timeout and the health check's: Redis answers within a
      // millisecond, this process reads the answers only after the block.
      block(COMMAND_TIMEOUT_MS * 2.5);
      const results = await Promise.all(calls);
      answered += results.filter((value) => value === 'v').length;
      await new Promise((resolve) => setTimeout(resolve, 8));
    }
    expect(answered).toBe(6 * 50);
    expect(states).toEqual([]);
    expect(layer.state).toBe('ready');
    expect(layer.breaker).toBe('closed');
  });
  // That a command Redis really does not answer still times out is the outage suites' part
  // (single-outage.test.ts pauses the server with SIGSTOP).
});

describe('withTimeout (the health check and connect bounds)', () => {
  it('lets an answer that arrived during a block win over the timer', async () => {
    // A raw connection to Redis: the answer comes from another process while this one is blocked.
    const url = new URL(TEST_REDIS_URL);
    const socket = connect(Number(url.port || 6379), url.hostname);
    await once(socket, 'connect');
    try {
      for (let round = 0; round < 5; round++) {
        const answered = once(socket, 'data');
        socket.write('PING\r\n');
        const bounded = withTimeout(answered, 50, 'PING');
        block(400); // PONG arrives meanwhile; the 50 ms timer is due long before it is read
        await expect(bounded).resolves.toBeDefined();
      }
      // And a real silence still times out.
      await expect(withTimeout(new Promise(() => {}), 50, 'PING')).rejects.toThrow(
        'PING timed out after 50 ms',
      );
    } finally {
      socket.destroy();
    }
  });
});
