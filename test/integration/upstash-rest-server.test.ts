/**
 * The local Upstash REST server (test/support/upstash-rest-server.ts) is what every rest-topology
 * test trusts in place of Upstash, so it is checked first with the official @upstash/redis client:
 * it must accept what that client sends (single commands, auto-pipelines, /pipeline, /multi-exec,
 * scripts, base64 replies) and answer what it expects. The raw protocol cases (bearer token, HTTP
 * 400 for an error reply) are checked with fetch.
 */
import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniquePrefix } from '../support/redis.js';
import { startUpstashRest, type UpstashRestHandle } from '../support/upstash-rest.js';

let rest: UpstashRestHandle;
let redis: Redis;
let key: (name: string) => string;

beforeAll(async () => {
  rest = await startUpstashRest();
  redis = new Redis({ url: rest.url, token: rest.token, enableTelemetry: false });
  const prefix = uniquePrefix('upstash');
  key = (name) => `${prefix}:${name}`;
}, 30_000);

afterAll(async () => {
  await rest?.stop();
});

describe('local Upstash REST server, driven by @upstash/redis', () => {
  it('strings, with the client’s default base64 encoding and JSON deserialization', async () => {
    expect(await redis.set(key('s'), 'hello')).toBe('OK');
    expect(await redis.get(key('s'))).toBe('hello');
    expect(await redis.set(key('obj'), { a: 1, b: ['x'] })).toBe('OK');
    expect(await redis.get(key('obj'))).toEqual({ a: 1, b: ['x'] });
    expect(await redis.set(key('s'), 'x', { nx: true })).toBeNull();
    expect(await redis.incrby(key('n'), 5)).toBe(5);
    expect(await redis.get(key('missing'))).toBeNull();
    expect(await redis.mget(key('s'), key('missing'), key('n'))).toEqual(['hello', null, 5]);
    expect(await redis.set(key('utf'), 'żółw ✓')).toBe('OK');
    expect(await redis.get(key('utf'))).toBe('żółw ✓');
  });

  it('hashes, sets, sorted sets and lists', async () => {
    expect(await redis.hset(key('h'), { a: '1', b: 'two' })).toBe(2);
    expect(await redis.hgetall(key('h'))).toEqual({ a: 1, b: 'two' });
    expect(await redis.sadd(key('set'), 'a', 'b')).toBe(2);
    expect((await redis.smembers(key('set'))).sort()).toEqual(['a', 'b']);
    expect(await redis.zadd(key('z'), { score: 2, member: 'b' }, { score: 1, member: 'a' })).toBe(2);
    expect(await redis.zrange(key('z'), 0, -1, { withScores: true })).toEqual(['a', 1, 'b', 2]);
    expect(await redis.lpush(key('l'), 'x', 'y')).toBe(2);
    expect(await redis.lrange(key('l'), 0, -1)).toEqual(['y', 'x']);
  });

  it('scripts: EVAL, EVALSHA, and NOSCRIPT for an unknown sha', async () => {
    const source = 'return {KEYS[1], ARGV[1], tonumber(ARGV[2]) + 1}';
    expect(await redis.eval(source, [key('k')], ['v', '41'])).toEqual([key('k'), 'v', 42]);
    const sha = await redis.scriptLoad(source);
    expect(await redis.evalsha(sha, [key('k')], ['w', '1'])).toEqual([key('k'), 'w', 2]);
    await expect(redis.evalsha('0'.repeat(40), [], [])).rejects.toThrow(/NOSCRIPT/);
    const script = redis.createScript<number>('return 7');
    expect(await script.exec([], [])).toBe(7);
  });

  it('an error reply is an error for that command only', async () => {
    await redis.set(key('str'), 'v');
    await expect(redis.lpush(key('str'), 'x')).rejects.toThrow(/WRONGTYPE/);
    expect(await redis.get(key('str'))).toBe('v');
  });

  it('/pipeline keeps per-command results and errors; /multi-exec runs atomically', async () => {
    const pipeline = redis.pipeline();
    pipeline.set(key('p'), '1');
    pipeline.lpush(key('p'), 'x');
    pipeline.incr(key('p'));
    const results = await pipeline.exec({ keepErrors: true });
    expect(results.map((r) => r.error)).toEqual([undefined, expect.stringMatching(/WRONGTYPE/), undefined]);
    expect(results[2]!.result).toBe(2);

    const multi = redis.multi();
    multi.set(key('m'), 'a');
    multi.append(key('m'), 'b');
    multi.get(key('m'));
    expect(await multi.exec()).toEqual(['OK', 2, 'ab']);
  });

  it('auto-pipelining: concurrent commands in one request each get their own reply', async () => {
    const values = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        redis.set(key(`auto${i}`), String(i)).then(() => redis.get(key(`auto${i}`))),
      ),
    );
    expect(values).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('streams, which the rest topology uses for pub/sub', async () => {
    const id = await redis.xadd(key('stream'), '*', { m: 'hi' });
    expect(id).toMatch(/^\d+-\d+$/);
    expect(await redis.xrange(key('stream'), '-', '+')).toEqual({ [id]: { m: 'hi' } });
  });

  it('raw protocol: bearer token, HTTP 400 with { error }, base64 on request', async () => {
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${rest.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${rest.token}`, ...headers },
        body: JSON.stringify(body),
      });
    const denied = await fetch(rest.url, {
      method: 'POST',
      headers: { authorization: 'Bearer nope' },
      body: '["PING"]',
    });
    expect(denied.status).toBe(401);
    expect(await denied.json()).toEqual({ error: expect.any(String) });

    await post('/', ['SET', key('raw'), 'bytes']);
    expect(await (await post('/', ['GET', key('raw')])).json()).toEqual({ result: 'bytes' });
    const encoded = await post('/', ['GET', key('raw')], { 'Upstash-Encoding': 'base64' });
    expect(await encoded.json()).toEqual({ result: Buffer.from('bytes').toString('base64') });
    const status = await post('/', ['SET', key('raw'), 'v'], { 'Upstash-Encoding': 'base64' });
    expect(await status.json()).toEqual({ result: 'OK' });

    const failed = await post('/', ['LPUSH', key('raw'), 'x']);
    expect(failed.status).toBe(400);
    expect(await failed.json()).toEqual({ error: expect.stringMatching(/^WRONGTYPE/) });

    const pipeline = await post('/pipeline', [
      ['SET', key('raw2'), '1'],
      ['INCR', key('raw2')],
    ]);
    expect(await pipeline.json()).toEqual([{ result: 'OK' }, { result: 2 }]);
  });

  it('the official client cannot carry bytes: why the rest topology has its own transport', async () => {
    // A value that is not UTF-8 (a cache envelope's header) comes back altered through the client.
    await fetch(rest.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${rest.token}` },
      body: JSON.stringify(['EVAL', "return redis.call('SET', KEYS[1], '\\255\\0\\1')", '1', key('bin')]),
    });
    const raw = new Redis({
      url: rest.url,
      token: rest.token,
      enableTelemetry: false,
      automaticDeserialization: false,
    });
    const value = await raw.get<string>(key('bin'));
    expect(Buffer.from(value ?? '', 'utf8').equals(Buffer.from([0xff, 0, 1]))).toBe(false);
  });
});
