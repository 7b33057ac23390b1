/**
 * The realtime hub's Lua scripts (lua/realtime-*.lua) and their JavaScript twins for `MemoryStore`.
 *
 * A twin cannot publish (MemoryData holds data only): on the in-process store the hub publishes what
 * the script would have, right after it, from the reply (src/realtime/streams.ts, presence.ts). The
 * twin runs synchronously, and the hub's publish follows in the same continuation, so messages still
 * reach subscribers in offset order.
 */
import type { MemoryData } from '../redis/memory/data.js';
import { defineScript, type ScriptReply } from '../redis/script.js';

function position(data: MemoryData, meta: string, candidate: string): { epoch: string; offset: number } {
  let epoch = data.hGet(meta, 'e');
  if (epoch === null) {
    epoch = candidate;
    data.hSet(meta, { e: epoch });
  }
  return { epoch, offset: Number(data.hGet(meta, 'o') ?? '0') };
}

/** KEYS meta, history; ARGV epoch, size, ttl, channel, command, prefix, head, tail → {epoch, offset}. */
export const realtimePublish = defineScript(
  'realtime-publish',
  2,
  (data, [meta, history], [candidate, size, ttl, , , , head, tail]) => {
    const { epoch } = position(data, meta!, candidate!);
    const offset = data.hIncrBy(meta!, 'o', 1);
    if (Number(size) > 0) {
      data.lPush(history!, [`${head}${offset}${tail}`]);
      data.lTrim(history!, 0, Number(size) - 1);
      data.pExpire(history!, Number(ttl));
    }
    data.pExpire(meta!, Number(ttl));
    return [epoch, offset];
  },
);

/** KEYS meta; ARGV epoch, ttl → {epoch, offset}. */
export const realtimePosition = defineScript('realtime-position', 1, (data, [meta], [candidate, ttl]) => {
  if (data.hGet(meta!, 'e') === null) data.hSet(meta!, { e: candidate!, o: 0 });
  data.pExpire(meta!, Number(ttl));
  return [data.hGet(meta!, 'e')!, Number(data.hGet(meta!, 'o') ?? '0')];
});

/** KEYS meta, history; ARGV epoch, since, candidate, ttl → {1|0, epoch, offset, frame...}. */
export const realtimeRecover = defineScript(
  'realtime-recover',
  2,
  (data, [meta, history], [known, since, candidate, ttl]) => {
    if (data.hGet(meta!, 'e') === null) {
      data.hSet(meta!, { e: candidate!, o: 0 });
      data.pExpire(meta!, Number(ttl));
    }
    const { epoch, offset } = position(data, meta!, candidate!);
    const from = Number(since);
    if (epoch !== known || from > offset) return [0, epoch, offset];
    const missed = offset - from;
    if (missed === 0) return [1, epoch, offset];
    const frames = data.lRange(history!, 0, -1);
    if (missed > frames.length) return [0, epoch, offset];
    return [1, epoch, offset, ...frames.slice(0, missed).reverse()];
  },
);

/** lua/realtime-presence.lua: see its header for the operations and their replies. */
export const realtimePresence = defineScript('realtime-presence', 4, (data, keys, args) =>
  presenceTwin(data, keys, args),
);

function presenceTwin(data: MemoryData, keys: readonly string[], args: readonly string[]): ScriptReply {
  const [x, u, c, n] = keys as [string, string, string, string];
  const [op, me, nowRaw, ttlRaw] = args as [string, string, string, string];
  const now = Number(nowRaw);
  const ttl = Number(ttlRaw);
  const addUser = (user: string) => (data.hIncrBy(u, user, 1) === 1 ? 1 : 0);
  const dropUser = (user: string) => {
    if (data.hIncrBy(u, user, -1) > 0) return 0;
    data.hDel(u, [user]);
    return 1;
  };
  const total = () => Math.max(0, Number(data.hGet(n, 'c') ?? '0'));
  const refresh = () => {
    for (const key of keys) data.pExpire(key, ttl * 2);
  };
  const dead = new Set(data.zRangeByScore(x, Number.NEGATIVE_INFINITY, now));
  if (dead.size > 0) {
    data.zRem(x, [...dead]);
    for (const [field, value] of Object.entries(data.hGetAll(c))) {
      const cut = field.indexOf('\n');
      if (cut < 0 || !dead.has(field.slice(0, cut))) continue;
      data.hDel(c, [field]);
      const user = field.slice(cut + 1);
      if (user === '') data.hIncrBy(n, 'c', -Number(value));
      else dropUser(user);
    }
  }
  const mine = `${me}\n`;
  const user = args[8] ?? '';
  switch (op) {
    case 'join': {
      data.zAdd(x, [{ member: me, score: now + ttl }]);
      data.hIncrBy(c, mine, 1);
      data.hIncrBy(n, 'c', 1);
      const first = user !== '' && data.hIncrBy(c, mine + user, 1) === 1 ? addUser(user) : 0;
      refresh();
      return [first, total()];
    }
    case 'leave': {
      if (data.zScore(x, me) === null) return [0, total()];
      if (data.hIncrBy(c, mine, -1) <= 0) data.hDel(c, [mine]);
      data.hIncrBy(n, 'c', -1);
      let last = 0;
      if (user !== '' && data.hIncrBy(c, mine + user, -1) <= 0) {
        data.hDel(c, [mine + user]);
        last = dropUser(user);
      }
      if (data.hGet(c, mine) === null) data.zRem(x, [me]);
      refresh();
      return [last, total()];
    }
    case 'beat': {
      if (data.zScore(x, me) === null) return [0];
      data.zAdd(x, [{ member: me, score: now + ttl }]);
      refresh();
      return [1];
    }
    case 'sync': {
      for (const [field, value] of Object.entries(data.hGetAll(c))) {
        if (!field.startsWith(mine)) continue;
        data.hDel(c, [field]);
        const who = field.slice(mine.length);
        if (who === '') data.hIncrBy(n, 'c', -Number(value));
        else dropUser(who);
      }
      const connections = Number(args[8]);
      if (connections > 0) {
        data.zAdd(x, [{ member: me, score: now + ttl }]);
        data.hSet(c, { [mine]: connections });
        data.hIncrBy(n, 'c', connections);
      } else {
        data.zRem(x, [me]);
      }
      for (let i = 9; i + 1 < args.length; i += 2) {
        data.hSet(c, { [mine + args[i]!]: args[i + 1]! });
        addUser(args[i]!);
      }
      refresh();
      return [total()];
    }
    case 'read':
      return [Object.keys(data.hGetAll(u)).length, total(), data.zCard(x)];
    case 'online':
      return data
        .zRangeByScore(x, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY)
        .filter((inst) => data.hGet(c, `${inst}\n${user}`) !== null);
    case 'list': {
      const after = user;
      const limit = Number(args[9]);
      // Byte order, as Lua compares strings.
      const users = Object.keys(data.hGetAll(u))
        .filter((id) => Buffer.compare(Buffer.from(id), Buffer.from(after)) > 0)
        .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      const live = data.zRangeByScore(x, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
      const reply: (string | number)[] = [users.length > limit ? 1 : 0];
      for (const id of users.slice(0, limit)) {
        reply.push(id, live.filter((inst) => data.hGet(c, `${inst}\n${id}`) !== null).join('\n'));
      }
      return reply;
    }
    default:
      throw new Error(`ERR unknown realtime-presence operation ${op}`);
  }
}
