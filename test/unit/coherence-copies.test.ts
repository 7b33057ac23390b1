/**
 * The one trust policy of in-process copies (src/coherence/copies.ts), on layers whose state the
 * test sets by hand over one in-process pub/sub: what leaving `ready`, coming back and a failover
 * do to the copies, that start waits for the channel's confirmation, and that an invalidation that
 * could not be published is sent again until it is moot. The cache and session suites check the
 * same policy through their modules, and over real Redis.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LocalCopies } from '../../src/coherence/copies.js';
import { Outbox } from '../../src/coherence/outbox.js';
import { silentLogger } from '../../src/logger.js';
import { Keys } from '../../src/redis/keys.js';
import { MemoryData } from '../../src/redis/memory/data.js';
import { MemoryStore } from '../../src/redis/memory/memory-store.js';
import { MemoryPubSub } from '../../src/redis/memory/pubsub.js';
import { eventually, ManualLayer } from '../support/layers.js';

type Op = { k: string[] };

/** Copies of keys; `received` drops what another instance names. */
class KeyCopies extends LocalCopies<Op> {
  readonly keys = new Set<string>();

  protected drop(): void {
    this.keys.clear();
  }
}

const data = new MemoryData();
const pubsub = new MemoryPubSub();
const opened: KeyCopies[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()));
});

function instance(
  keys: Keys,
  origin: string,
  options: { keepWhileUnreachable?: boolean; maxAgeMs?: number } = {},
): { copies: KeyCopies; layer: ManualLayer; store: MemoryStore; received: Op[] } {
  const store = new MemoryStore({ data, pubsub });
  const layer = new ManualLayer(store, keys, 'ready');
  const copies = new KeyCopies();
  const received: Op[] = [];
  copies.share({
    layer,
    channel: keys.channel('copies-test'),
    origin,
    logger: silentLogger,
    label: 'test invalidation',
    merge: (last, op) => {
      last.k.push(...op.k);
      return true;
    },
    received: (ops) => {
      for (const op of ops) for (const key of op.k) copies.keys.delete(key);
      received.push(...ops);
    },
    maxAgeMs: () => options.maxAgeMs ?? 60_000,
    keepWhileUnreachable: options.keepWhileUnreachable ?? false,
  });
  opened.push(copies);
  return { copies, layer, store, received };
}

describe('in-process copies: one trust policy', () => {
  it('trusts the copies once start() returns, when the channel is live', async () => {
    const { copies } = instance(new Keys('cp1'), 'a');
    expect(copies.trusted).toBe(false);
    await copies.start();
    expect(copies.trusted).toBe(true);
  });

  it('started while Redis is unreachable: distrusted until the layer is ready and its probe is back', async () => {
    const { copies, layer } = instance(new Keys('cp2'), 'a');
    layer.setState('degraded');
    await copies.start();
    expect(copies.trusted).toBe(false);
    layer.setState('ready');
    await eventually(() => copies.trusted);
  });

  it('leaving ready distrusts at once and drops the copies, unless kept as the outage answer', async () => {
    const keys = new Keys('cp3');
    const dropping = instance(keys, 'a');
    const keeping = instance(keys, 'b', { keepWhileUnreachable: true });
    await Promise.all([dropping.copies.start(), keeping.copies.start()]);
    dropping.copies.keys.add('x');
    keeping.copies.keys.add('x');

    dropping.layer.setState('degraded');
    keeping.layer.setState('degraded');
    expect([dropping.copies.trusted, keeping.copies.trusted]).toEqual([false, false]);
    expect([...dropping.copies.keys]).toEqual([]);
    expect([...keeping.copies.keys]).toEqual(['x']);

    // Back to ready: whatever was kept through the outage goes, and trust waits for the probe.
    keeping.layer.setState('ready');
    expect([...keeping.copies.keys]).toEqual([]);
    expect(keeping.copies.trusted).toBe(false);
    await eventually(() => keeping.copies.trusted);
  });

  it('a failover drops every copy and confirms the channel again', async () => {
    const { copies, layer } = instance(new Keys('cp4'), 'a');
    await copies.start();
    copies.keys.add('x');
    layer.emit('topology', { reason: 'test' });
    expect(copies.trusted).toBe(false);
    expect([...copies.keys]).toEqual([]);
    await eventually(() => copies.trusted);
  });

  it('a read in flight across a distrust or a confirmation keeps nothing', async () => {
    const { copies, layer } = instance(new Keys('cp5'), 'a');
    await copies.start();
    const started = copies.guard.begin();
    layer.setState('degraded');
    layer.setState('ready');
    await eventually(() => copies.trusted);
    expect(copies.guard.end('x', started)).toBe(false);
  });

  it('sends again an invalidation that could not be published, once Redis takes it', async () => {
    const keys = new Keys('cp6');
    const a = instance(keys, 'a');
    const b = instance(keys, 'b');
    await Promise.all([a.copies.start(), b.copies.start()]);
    const publish = a.store.publish.bind(a.store);
    let refusing = true;
    a.store.publish = (channel, message) =>
      refusing ? Promise.reject(new Error('Redis unreachable')) : publish(channel, message);

    a.copies.publish({ k: ['x'] });
    await a.copies.flush();
    expect(b.received).toEqual([]);
    refusing = false;
    await eventually(() => b.received.length === 1);
    expect(b.received).toEqual([{ k: ['x'] }]);
  });

  it('drops an unpublished invalidation once no copy it concerned can still be served', async () => {
    const keys = new Keys('cp7');
    const a = instance(keys, 'a', { maxAgeMs: 0 });
    const b = instance(keys, 'b');
    await Promise.all([a.copies.start(), b.copies.start()]);
    const publish = a.store.publish.bind(a.store);
    let refusing = true;
    a.store.publish = (channel, message) =>
      refusing ? Promise.reject(new Error('Redis unreachable')) : publish(channel, message);
    a.copies.publish({ k: ['moot'] });
    await a.copies.flush();
    refusing = false;
    a.copies.publish({ k: ['later'] });
    await eventually(() => b.received.length === 1);
    // Past the retry interval: the first one was not sent again.
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(b.received).toEqual([{ k: ['later'] }]);
  });
});

describe('outbox', () => {
  it('keeps an operation while it is due, and a merged one as long as either part', () => {
    const outbox = new Outbox<Op>();
    const early = { k: ['a'] };
    const late = { k: ['b'] };
    outbox.note(early, 100);
    outbox.note(late, 300);
    outbox.merged(early, late);
    outbox.keep([early], 200);
    expect(outbox.take(250)).toEqual([early]);
    outbox.keep([early], 250);
    expect(outbox.take(300)).toEqual([]);
  });
});
