/**
 * The session and login-limit Lua scripts (lua/session_*.lua, lua/login_limit.lua) with their
 * JavaScript twins over `MemoryData`, which give the same results in process. Each script touches
 * one key, so none needs a hash tag on Cluster.
 */
import type { MemoryData } from '../redis/memory/data.js';
import { defineScript, type ScriptReply } from '../redis/script.js';

function num(raw: string | null | undefined): number | undefined {
  if (raw === null || raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : undefined;
}

function flatten(fields: Record<string, string>): string[] {
  return Object.entries(fields).flat();
}

/** Expiry after a renewal: now + lifetime, capped at the index due time + lifetime. */
function cappedExpiry(now: number, ttl: number, due: number | undefined): number {
  const expires = now + ttl;
  return due !== undefined && expires > due + ttl ? due + ttl : expires;
}

export const sessionLoad = defineScript('session_load', 1, (data, keys, args) => {
  const key = keys[0]!;
  const fields = data.hGetAll(key);
  if (Object.keys(fields).length === 0) return null;
  if (args[1] === '1') {
    const now = Number(args[0]);
    const ttl = num(fields['t']) ?? 0;
    const seen = num(fields['s']);
    if (seen !== undefined && now >= seen && now - seen < Math.min(Number(args[3]), ttl / 10)) {
      return flatten(fields);
    }
    const expires = cappedExpiry(now, ttl, num(fields['x']));
    if (expires <= now) {
      data.del(key);
      return null;
    }
    data.pExpire(key, expires - now);
    data.hSet(key, {
      s: args[0]!,
      e: String(expires),
      ...(args[2] !== '' ? { ip: args[2]! } : {}),
    });
  }
  return flatten(fields);
});

export const sessionSave = defineScript('session_save', 1, (data, keys, args) =>
  saveLocal(data, keys[0]!, args),
);

function saveLocal(data: MemoryData, key: string, args: readonly string[]): ScriptReply {
  const [nowRaw, mode, ttlRaw, user, claims, device, ip, cookie, dueRaw, countRaw] = args;
  const now = Number(nowRaw);
  const exists = data.exists(key);
  if (mode === 'update' && !exists) return [0, '', '', 0];
  if (mode === 'create' && exists) return [-1, '', '', 0];

  let previous = '';
  let version = 1;
  let ttl = num(ttlRaw);
  let due = num(dueRaw);
  if (exists) {
    previous = data.hGet(key, 'u') ?? '';
    version = (num(data.hGet(key, 'v')) ?? 0) + 1;
    ttl ??= num(data.hGet(key, 't'));
    due ??= num(data.hGet(key, 'x'));
  }
  if (user === '-') due = undefined;
  const lifetime = ttl ?? 0;
  const expires = cappedExpiry(now, lifetime, due);

  if (mode === 'replace' && exists) {
    const stale = Object.keys(data.hGetAll(key)).filter((name) => name.startsWith('d.'));
    data.hDel(key, stale);
  }
  const meta: Record<string, string> = {
    v: String(version),
    t: String(lifetime),
    s: nowRaw!,
    e: String(expires),
  };
  if (!exists) meta['c'] = nowRaw!;
  if (user === '-') data.hDel(key, ['u', 'p', 'x']);
  else if (user !== '') meta['u'] = user!.slice(1);
  const optional: [string, string | undefined][] = [
    ['p', claims],
    ['a', device],
    ['ip', ip],
    ['ck', cookie],
    ['x', dueRaw],
  ];
  for (const [field, value] of optional) if (value !== undefined && value !== '') meta[field] = value;
  data.hSet(key, meta);

  const count = Number(countRaw);
  const set: Record<string, string> = {};
  for (let i = 10; i < 10 + 2 * count; i += 2) set[`d.${args[i]}`] = args[i + 1]!;
  if (count > 0) data.hSet(key, set);
  const deleted = args.slice(10 + 2 * count).map((name) => `d.${name}`);
  if (deleted.length > 0) data.hDel(key, deleted);

  if (expires <= now) {
    data.del(key);
    return [0, '', '', 0];
  }
  data.pExpire(key, expires - now);
  return [version, previous, due === undefined ? '' : String(due), lifetime];
}

export const sessionRestore = defineScript('session_restore', 1, (data, keys, args) => {
  const ttl = Number(args[1]) - Number(args[0]);
  if (ttl <= 0 || data.exists(keys[0]!)) return 0;
  const fields: Record<string, string> = {};
  for (let i = 2; i + 1 < args.length; i += 2) fields[args[i]!] = args[i + 1]!;
  data.hSet(keys[0]!, fields);
  data.pExpire(keys[0]!, ttl);
  return 1;
});

export const sessionDestroy = defineScript('session_destroy', 1, (data, keys, args) => {
  const user = data.hGet(keys[0]!, 'u') ?? '';
  if (args[0] !== '' && args[0] !== user) return null;
  if (args[1] !== undefined && args[1] !== '') {
    const stamp = data.hGet(keys[0]!, 'g') ?? data.hGet(keys[0]!, 'c');
    if (stamp !== null && Number(stamp) >= Number(args[1])) return 0;
  }
  if (!data.del(keys[0]!)) return null;
  return user;
});

export const sessionMark = defineScript('session_mark', 1, (data, keys, args) => {
  if (!data.exists(keys[0]!)) return 0;
  data.hSet(keys[0]!, { [args[0]!]: args[1]! });
  return 1;
});

export const sessionEpoch = defineScript('session_epoch', 1, (data, keys, args) => {
  const key = keys[0]!;
  let stored = Number(data.get(key) ?? '0');
  const epoch = Number(args[0]);
  const keep = Math.max(Number(args[1]), data.pTtl(key));
  if (epoch > stored) {
    data.set(key, String(epoch));
    stored = epoch;
  }
  data.pExpire(key, keep);
  return String(stored);
});

export const sessionIndex = defineScript('session_index', 1, (data, keys, args) => {
  const key = keys[0]!;
  const now = Number(args[0]);
  const ids = args.slice(3);
  if (args[1] === 'add')
    data.zAdd(
      key,
      ids.map((member) => ({ member, score: Number(args[2]) })),
    );
  else data.zRem(key, ids);
  const all = data.zRangeByScore(key, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
  data.zRem(
    key,
    all.filter((member) => data.zScore(key, member)! < now),
  );
  const members = data.zRangeByScore(key, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
  const last = members.at(-1);
  if (last === undefined) return 0;
  data.pExpire(key, data.zScore(key, last)! - now);
  return members.length;
});

export const loginLimit = defineScript('login_limit', 1, (data, keys, args) => {
  const key = keys[0]!;
  const limit = Number(args[0]);
  const count = Number(data.get(key) ?? '0');
  if (count >= limit) {
    let left = data.pTtl(key);
    if (left < 0) {
      data.pExpire(key, Number(args[1]));
      left = Number(args[1]);
    }
    return [0, left];
  }
  const next = data.incrBy(key, 1);
  if (next === 1) data.pExpire(key, Number(args[1]));
  return [1, limit - next];
});
