/**
 * The bus conformance suite: the same cases on the memory implementation (several instances over
 * one MemoryStore), a single Redis and a Redis Cluster (sharded pub/sub), three instances each.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Bus, type BusMessage } from '../../src/bus/index.js';
import { silentLogger } from '../../src/logger.js';
import { BACKENDS, eventually, type Instances, type ManualLayer } from '../support/bus-backends.js';

interface Received {
  instance: number;
  data: unknown;
  message: BusMessage;
}

describe.each(BACKENDS)('bus on $name', (backend) => {
  let instances: Instances;
  let buses: Bus[];

  beforeAll(() => backend.setup(), 60_000);
  afterAll(() => backend.teardown());

  async function start(count = 3): Promise<Bus[]> {
    instances = await backend.instances(count);
    buses = instances.layers.map(
      (layer, i) => new Bus(layer, { instanceId: `i${i}`, maxPayloadBytes: 1024, logger: silentLogger }),
    );
    return buses;
  }

  afterEach(async () => {
    await Promise.all(buses.map((b) => b.close()));
    await instances.close();
  });

  function collect(into: Received[], instance: number) {
    return (data: unknown, message: BusMessage) => {
      into.push({ instance, data, message });
    };
  }

  it('delivers a message to every instance, the publisher included', async () => {
    const [a, b, c] = await start();
    const got: Received[] = [];
    await a!.subscribe('shop:orders:created', collect(got, 0));
    await b!.subscribe('shop:orders:created', collect(got, 1));
    await c!.subscribe('shop:orders:created', collect(got, 2));

    const result = await b!.publish('shop:orders:created', { id: 7, items: ['é', { n: 1 }] });
    expect(result).toEqual({ local: 1, sent: true });
    await eventually(() => got.length === 3);
    expect(got.map((r) => r.instance).sort()).toEqual([0, 1, 2]);
    for (const r of got) {
      expect(r.data).toEqual({ id: 7, items: ['é', { n: 1 }] });
      expect(r.message).toMatchObject({
        channel: 'shop:orders:created',
        source: 'i1',
        self: r.instance === 1,
      });
    }
  });

  it('respects omitSelf: the publisher skips its own message but gets the others’', async () => {
    const [a, b] = await start(2);
    const got: Received[] = [];
    await a!.subscribe('app:area:ev', collect(got, 0), { omitSelf: true });
    await b!.subscribe('app:area:ev', collect(got, 1));

    const own = await a!.publish('app:area:ev', 'from-a');
    expect(own.local).toBe(0);
    await b!.publish('app:area:ev', 'from-b');
    // Per-publisher order: once b's second message arrived at a, its first has too.
    await b!.publish('app:area:ev', 'from-b-2');
    await eventually(() => got.filter((r) => r.instance === 0).length === 2 && got.length === 5);
    expect(got.filter((r) => r.instance === 0).map((r) => r.data)).toEqual(['from-b', 'from-b-2']);
    // b has its own messages at once and a's after a trip through Redis: only each publisher's
    // messages keep their order.
    const atB = got.filter((r) => r.instance === 1).map((r) => r.data);
    expect([...atB].sort()).toEqual(['from-a', 'from-b', 'from-b-2']);
    expect(atB.filter((d) => d !== 'from-a')).toEqual(['from-b', 'from-b-2']);
  });

  it('matches event patterns within a family and keeps families apart', async () => {
    const [a, b] = await start(2);
    const got: Received[] = [];
    await b!.subscribe('app:users:*', collect(got, 1));
    await b!.subscribe('app:users:log?n', collect(got, 2));
    await b!.subscribe('app:orders:created', collect(got, 3));

    await a!.publish('app:users:login', 1);
    await a!.publish('app:users:logout', 2);
    await a!.publish('app:orders:created', 3);
    await a!.publish('app:orders:deleted', 4);
    await a!.publish('other:users:login', 5);
    await a!.publish('app:users:end', 6);
    await eventually(() => got.some((r) => r.data === 6));
    expect(got.filter((r) => r.instance === 1).map((r) => r.data)).toEqual([1, 2, 6]);
    expect(got.filter((r) => r.instance === 2).map((r) => r.data)).toEqual([1]);
    expect(got.filter((r) => r.instance === 3).map((r) => r.data)).toEqual([3]);
  });

  it('keeps publish order between instances', async () => {
    const [a, b] = await start(2);
    const got: number[] = [];
    await b!.subscribe('app:seq:n', (n: number) => {
      got.push(n);
    });
    for (let i = 0; i < 200; i++) void a!.publish('app:seq:n', i);
    await eventually(() => got.length === 200);
    expect(got).toEqual([...Array(200).keys()]);
  });

  it('stops delivering after unsubscribe and releases the family with its last handler', async () => {
    const [a, b] = await start(2);
    const got: Received[] = [];
    const off1 = await b!.subscribe('app:x:one', collect(got, 1));
    const off2 = await b!.subscribe('app:x:*', collect(got, 2));
    expect(b!.stats()).toMatchObject({ families: 1, subscriptions: 2 });

    await off1();
    await a!.publish('app:x:one', 'after-first-off');
    await eventually(() => got.length === 1);
    expect(got[0]).toMatchObject({ instance: 2, data: 'after-first-off' });

    await off2();
    await off2(); // idempotent
    expect(b!.stats()).toMatchObject({ families: 0, subscriptions: 0 });
    const sentinel: unknown[] = [];
    await b!.subscribe('app:y:done', (d) => {
      sentinel.push(d);
    });
    await a!.publish('app:x:one', 'after-all-off');
    await a!.publish('app:y:done', 'done');
    await eventually(() => sentinel.length === 1);
    expect(got).toHaveLength(1);
  });

  it('isolates a failing handler and counts it', async () => {
    const [a, b] = await start(2);
    const got: unknown[] = [];
    await b!.subscribe('app:err:e', () => {
      throw new Error('boom');
    });
    await b!.subscribe('app:err:e', async () => {
      throw new Error('async boom');
    });
    await b!.subscribe('app:err:e', (d) => {
      got.push(d);
    });
    await a!.publish('app:err:e', 1);
    await eventually(() => got.length === 1 && b!.stats().handlerErrors === 2);
    expect(b!.stats()).toMatchObject({ received: 1, delivered: 3, handlerErrors: 2 });
  });

  it('validates channels, payloads and the reserved prefix before sending anything', async () => {
    const [a] = await start(1);
    await expect(a!.publish('plexus:cache:clear', {})).rejects.toMatchObject({
      code: 'BUS_RESERVED_CHANNEL',
    });
    await expect(a!.publish('PLEXUS:cache:clear', {})).rejects.toMatchObject({
      code: 'BUS_RESERVED_CHANNEL',
    });
    await expect(a!.publish('nocolons', {})).rejects.toMatchObject({ code: 'BUS_INVALID_CHANNEL' });
    await expect(a!.publish('a:b:c:d', {})).rejects.toMatchObject({ code: 'BUS_INVALID_CHANNEL' });
    await expect(a!.publish('a:b:*', {})).rejects.toMatchObject({ code: 'BUS_INVALID_CHANNEL' });
    await expect(a!.publish('a b:c:d', {})).rejects.toMatchObject({ code: 'BUS_INVALID_CHANNEL' });
    await expect(a!.publish('a:b:c', undefined)).rejects.toMatchObject({ code: 'BUS_INVALID_PAYLOAD' });
    await expect(a!.publish('a:b:c', { n: 1n })).rejects.toMatchObject({ code: 'BUS_INVALID_PAYLOAD' });
    await expect(a!.publish('a:b:c', 'x'.repeat(1100))).rejects.toMatchObject({
      code: 'BUS_PAYLOAD_TOO_LARGE',
      details: { limit: 1024 },
    });
    // 400 two-byte characters: 802 bytes of JSON, under the limit; 600 are over it.
    await expect(a!.publish('a:b:c', 'é'.repeat(400))).resolves.toMatchObject({ sent: true });
    await expect(a!.publish('a:b:c', 'é'.repeat(600))).rejects.toMatchObject({
      code: 'BUS_PAYLOAD_TOO_LARGE',
    });
    await expect(a!.subscribe('app:*:x', () => {})).rejects.toMatchObject({
      code: 'BUS_PATTERN_UNSUPPORTED',
    });
    await expect(a!.subscribe('*', () => {})).rejects.toMatchObject({ code: 'BUS_INVALID_CHANNEL' });
    expect(a!.stats().published).toBe(1);

    // Plexus's own modules publish under plexus: through publishSystem, and anyone may listen.
    const got: unknown[] = [];
    await a!.subscribe('plexus:cache:*', (d) => {
      got.push(d);
    });
    await a!.publishSystem('plexus:cache:clear', { ns: 'users' });
    await expect(a!.publishSystem('app:cache:clear', {})).rejects.toMatchObject({
      code: 'BUS_INVALID_CHANNEL',
    });
    await eventually(() => got.length === 1);
  });

  it('ignores foreign or malformed messages on a family channel', async () => {
    const [a] = await start(1);
    const got: unknown[] = [];
    await a!.subscribe('app:m:*', (d) => {
      got.push(d);
    });
    const layer = instances.layers[0]!;
    const channel = layer.keys.bus.family('app', 'm');
    await layer.store.publish(channel, 'not json');
    await layer.store.publish(channel, JSON.stringify({ s: 'x', c: 'other:m:e', t: 1, d: 1 }));
    await layer.store.publish(channel, JSON.stringify({ s: 'x', c: 'app:m:e', t: 1, d: 'ok' }));
    await eventually(() => got.length === 1);
    expect(got).toEqual(['ok']);
    expect(a!.stats().malformed).toBe(2);
  });

  it('refuses calls after close', async () => {
    const [a] = await start(1);
    await a!.subscribe('app:c:e', () => {});
    await a!.close();
    await expect(a!.publish('app:c:e', 1)).rejects.toMatchObject({ code: 'BUS_CLOSED' });
    await expect(a!.subscribe('app:c:e', () => {})).rejects.toMatchObject({ code: 'BUS_CLOSED' });
  });

  it.runIf(backend.name === 'memory')(
    'delivers locally and counts missed messages while degraded',
    async () => {
      const [a, b] = await start(2);
      const got: Received[] = [];
      await a!.subscribe('app:d:e', collect(got, 0));
      await b!.subscribe('app:d:e', collect(got, 1));
      const layerA = instances.layers[0] as ManualLayer;

      layerA.setState('degraded', 'test');
      expect(await a!.publish('app:d:e', 'down-1')).toEqual({ local: 1, sent: false });
      await a!.publish('app:d:e', 'down-2');
      expect(a!.stats().missed).toBe(2);

      layerA.setState('ready');
      await a!.publish('app:d:e', 'up');
      await eventually(() => got.length === 4);
      expect(got.filter((r) => r.instance === 0).map((r) => r.data)).toEqual(['down-1', 'down-2', 'up']);
      expect(got.filter((r) => r.instance === 1).map((r) => r.data)).toEqual(['up']);
      expect(a!.stats().missed).toBe(2);
    },
  );
});
