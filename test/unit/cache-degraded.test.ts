/**
 * Degraded mode, deterministically: caches over one in-process L2 whose layer state the test sets
 * by hand (the real outage, with a killed redis-server, is in test/integration/cache-outage).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Cache } from '../../src/cache/index.js';
import { createCache } from '../../src/cache/index.js';
import { Keys } from '../../src/redis/keys.js';
import { MemoryData } from '../../src/redis/memory/data.js';
import { MemoryStore } from '../../src/redis/memory/memory-store.js';
import { MemoryPubSub } from '../../src/redis/memory/pubsub.js';
import { eventually } from '../support/cache-backends.js';
import { ManualLayer } from '../support/layers.js';

const data = new MemoryData();
const pubsub = new MemoryPubSub();
let open: Cache[] = [];

function instance(keys: Keys, id: string, config = {}): { cache: Cache; layer: ManualLayer } {
  const layer = new ManualLayer(new MemoryStore({ data, pubsub }), keys, 'ready');
  const cache = createCache({ redis: layer, l2: layer.store, instanceId: id, config });
  open.push(cache);
  return { cache, layer };
}

/** A cache whose messages go through a pub/sub of its own: it hears nothing from the others. */
function deaf(keys: Keys, id: string): { cache: Cache; layer: ManualLayer; store: MemoryStore } {
  const store = new MemoryStore({ data, pubsub: new MemoryPubSub() });
  const layer = new ManualLayer(store, keys, 'ready');
  const cache = createCache({ redis: layer, l2: store, instanceId: id });
  open.push(cache);
  return { cache, layer, store };
}

afterEach(async () => {
  await Promise.all(open.map((c) => c.close()));
  open = [];
});

describe('cache while Redis is unavailable', () => {
  it('answers from L1 (past the L1 TTL) and the loader, and never calls L2', async () => {
    const keys = new Keys('deg1');
    const { cache, layer } = instance(keys, 'a', { l1TtlMs: 1 });
    await cache.start();
    await cache.set('k', 'v', { ttl: '1m' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    layer.setState('degraded');
    const store = layer.store as MemoryStore;
    const getBuffer = store.getBuffer.bind(store);
    store.getBuffer = () => Promise.reject(new Error('L2 must not be called while degraded'));
    expect(await cache.get('k')).toBe('v');
    expect(await cache.getOrSet('other', () => 'loaded')).toBe('loaded');
    expect(await cache.getOrSet('other', () => 'again')).toBe('loaded');
    expect(cache.localStats()).toMatchObject({ mode: 'l1-only', totals: { l2Errors: 0 } });
    store.getBuffer = getBuffer;
  });

  it('replays writes made during the outage, so nobody reads the value they replaced', async () => {
    const keys = new Keys('deg2');
    const a = instance(keys, 'a');
    const b = instance(keys, 'b');
    await Promise.all([a.cache.start(), b.cache.start()]);
    await a.cache.set('k', 'v1');
    await a.cache.namespace('n').set('x', 1, { tags: ['t'] });
    await a.cache.namespace('c').set('y', 1);
    expect(await b.cache.get('k')).toBe('v1');

    a.layer.setState('degraded');
    await a.cache.set('k', 'v2');
    await a.cache.namespace('n').deleteByTag('t');
    await a.cache.namespace('c').clear();
    expect(await a.cache.get('k')).toBe('v2');
    // B still reads the old value from L2: A could not tell anyone.
    expect(await b.cache.get('k')).toBe('v1');

    a.layer.setState('ready');
    await eventually(async () => (await b.cache.get('k')) === undefined);
    expect(await b.cache.namespace('n').get('x')).toBeUndefined();
    expect(await b.cache.namespace('c').get('y')).toBeUndefined();
    // A dropped its L1 on recovery: it does not keep serving a value L2 no longer has.
    expect(await a.cache.get('k')).toBeUndefined();
  });

  it('drops L1 on recovery, as invalidations may have been missed', async () => {
    const keys = new Keys('deg3');
    const a = instance(keys, 'a');
    const b = instance(keys, 'b');
    await Promise.all([a.cache.start(), b.cache.start()]);
    await a.cache.set('k', 'v1');
    expect(await b.cache.get('k')).toBe('v1');
    b.layer.setState('degraded');
    await a.cache.set('k', 'v2'); // B is cut off and does not apply this...
    b.layer.setState('ready'); // ...but drops its L1 on recovery.
    expect(await b.cache.get('k')).toBe('v2');
  });

  it('drops L1 when the layer reports a failover, as invalidations may have been missed meanwhile', async () => {
    const keys = new Keys('deg6');
    const a = instance(keys, 'a');
    // B hears nothing from A, as while a sharded channel moves between masters.
    const { cache: b, layer: bLayer } = deaf(keys, 'b');
    await Promise.all([a.cache.start(), b.start()]);
    await a.cache.set('k', 'v1');
    expect(await b.get('k')).toBe('v1');
    await a.cache.set('k', 'v2'); // Lost to B...
    expect(await b.get('k')).toBe('v1'); // ...whose L1 still has the old value,
    bLayer.emit('topology', { reason: 'test' }); // until the layer reports the failover.
    expect(await b.get('k')).toBe('v2');
  });

  it('after recovery, bypasses L1 until its own subscription is confirmed', async () => {
    const keys = new Keys('deg5');
    const a = instance(keys, 'a');
    // B hears nothing from A, as if its subscriber connection had not reconnected yet; its probes
    // are dropped until the test lets them through.
    const { cache: b, layer: bLayer, store: bStore } = deaf(keys, 'b');
    await Promise.all([a.cache.start(), b.start()]);
    const publish = bStore.publish.bind(bStore);
    let probesPass = false;
    bStore.publish = (channel, message) =>
      probesPass || !message.includes('"p"') ? publish(channel, message) : Promise.resolve(0);

    bLayer.setState('degraded');
    bLayer.setState('ready');
    await a.cache.set('k', 'v1');
    expect(await b.get('k')).toBe('v1');
    await a.cache.set('k', 'v2'); // B does not hear of it...
    expect(await b.get('k')).toBe('v2'); // ...but reads L2, as it does not trust L1 yet.
    expect(b.localStats().totals.l1Hits).toBe(0);

    probesPass = true;
    await eventually(async () => {
      await b.get('k');
      return b.localStats().totals.l1Hits > 0;
    });
  });

  it('serves a stale value within grace when Redis and the loader both fail', async () => {
    const keys = new Keys('deg4');
    const { cache, layer } = instance(keys, 'a');
    await cache.start();
    await cache.set('k', 'old', { ttl: 20, grace: '1h' });
    await new Promise((resolve) => setTimeout(resolve, 30));
    layer.setState('degraded');
    expect(await cache.get('k')).toBe('old');
    expect(await cache.getOrSet('k', () => Promise.reject(new Error('db down')))).toBe('old');
    expect(cache.localStats().totals.staleServed).toBe(2);
  });
});
