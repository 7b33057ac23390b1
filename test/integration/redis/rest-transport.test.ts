/**
 * What the rest topology's transport adds over a TCP connection, through a real layer on the
 * local Upstash REST server: bytes that are not UTF-8 round-trip (hex-encoded through
 * lua/rest_binary_call.lua, base64 replies), calls batched into one /pipeline keep their own
 * results and errors, publish goes through /multi-exec, and what was published while an instance
 * could not poll is skipped rather than delivered late (pub/sub's guarantee).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RedisLayer } from '../../../src/redis/layer.js';
import { connectReadyLayer } from '../../support/layers.js';
import { waitFor } from '../../support/topology.js';
import { publishUntilReceived } from '../../support/traffic.js';
import { startUpstashRest, type UpstashRestHandle } from '../../support/upstash-rest.js';

let rest: UpstashRestHandle;
let layer: RedisLayer;

beforeAll(async () => {
  rest = await startUpstashRest();
  layer = await connectReadyLayer(rest.config({ REDIS_COMMAND_TIMEOUT_MS: '2000' }));
}, 30_000);

afterAll(async () => {
  await layer?.close();
  await rest?.stop();
});

it('round-trips bytes that are not UTF-8, large ones included, with SET options kept', async () => {
  const key = layer.keys.key('bytes', 'large');
  const value = randomBytes(256 * 1024);
  expect(await layer.store.set(key, value, { px: 60_000 })).toBe(true);
  expect((await layer.store.getBuffer(key))?.equals(value)).toBe(true);
  expect(await layer.store.pTtl(key)).toBeGreaterThan(50_000);
  expect(await layer.store.set(key, Buffer.from([0xff]), { nx: true })).toBe(false);
  // The same bytes as Redis stores them, read over TCP.
  const raw = await rest.redis.command(['STRLEN', key]);
  expect(raw).toBe(value.length);

  const hash = layer.keys.key('bytes', 'hash');
  await layer.store.hSet(hash, { text: 'plain', bin: Buffer.from([0, 0xfe, 0xff]) });
  expect(await layer.store.hGet(hash, 'text')).toBe('plain');
  expect(await rest.redis.command(['HSTRLEN', hash, 'bin'])).toBe(3);
});

it('keeps each batched call’s own result or error (a pipeline is not a transaction)', async () => {
  const text = layer.keys.key('batch', 'text');
  const counter = layer.keys.key('batch', 'n');
  await layer.store.set(text, 'v');
  // Issued in one tick: one /pipeline request for the writes, one for the reads.
  const outcomes = await Promise.allSettled([
    layer.store.incrBy(counter, 2),
    layer.store.lPush(text, ['x']),
    layer.store.incrBy(counter, 3),
    layer.store.get(text),
    layer.store.get(counter),
  ]);
  expect(outcomes.map((o) => o.status)).toEqual([
    'fulfilled',
    'rejected',
    'fulfilled',
    'fulfilled',
    'fulfilled',
  ]);
  expect(outcomes[1]).toMatchObject({ reason: { code: 'REDIS_COMMAND_FAILED' } });
  expect(outcomes[2]).toMatchObject({ value: 5 });
  expect(outcomes[3]).toMatchObject({ value: 'v' });
  // The error reply did not count against the breaker: Redis answered.
  expect(layer.state).toBe('ready');
});

it('publishes into a capped, expiring stream under the channel name', async () => {
  const channel = layer.keys.channel('transport', 'pub');
  expect(await layer.store.publish(channel, 'hello')).toBe(0);
  expect(await rest.redis.command(['TYPE', channel])).toBe('stream');
  const ttl = Number(await rest.redis.command(['PTTL', channel]));
  expect(ttl).toBeGreaterThan(50_000);
  expect(ttl).toBeLessThanOrEqual(60_000);
});

it('skips what was published while this instance could not poll, then delivers again', async () => {
  // A second endpoint on the same data: pausing it cuts only the subscriber's instance off.
  const second = await startUpstashRest(rest.redis);
  const config = rest.config({ REDIS_COMMAND_TIMEOUT_MS: '250', REDIS_BREAKER_RESET_MS: '200' });
  const subscriber = await connectReadyLayer({ ...config, restUrl: second.url });
  try {
    const channel = layer.keys.channel('transport', 'backlog');
    const publisher = layer.store;
    const received: string[] = [];
    await subscriber.store.subscribe(channel, (message) => received.push(message));
    await publishUntilReceived('a first message', publisher, channel, 'before', received);

    second.pause();
    await waitFor('the subscriber degraded', () => subscriber.state === 'degraded');
    await publisher.publish(channel, 'while cut off');
    second.resume();
    await waitFor('the subscriber ready', () => subscriber.state === 'ready');
    await publishUntilReceived('a message after recovery', publisher, channel, 'after', received);
    expect(received).not.toContain('while cut off');
  } finally {
    await subscriber.close();
    await second.stop();
  }
});
