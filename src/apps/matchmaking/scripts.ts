/** The matchmaking app's Lua scripts (lua/mm_*.lua) and their twins for the in-process store. */
import type { MemoryData } from '../../redis/memory/data.js';
import { defineScript, type ScriptReply } from '../../redis/script.js';
import { type PairParams, pairQueue, snapshotOf, type Ticket } from './pairing.js';

/** A `tickets` hash value: `<member>\n<ticket JSON>`. */
function splitValue(value: string): { member: string; json: string } {
  const cut = value.indexOf('\n');
  return { member: value.slice(0, cut), json: value.slice(cut + 1) };
}

export const mmJoin = defineScript(
  'mm_join',
  3,
  (data, [ratings, waits, tickets], [id, rating, joinedAt, member, json]) => {
    if (data.hGet(tickets!, id!) !== null) return 0;
    data.hSet(tickets!, { [id!]: `${member!}\n${json!}` });
    data.zAdd(ratings!, [{ score: Number(rating), member: member! }]);
    data.zAdd(waits!, [{ score: Number(joinedAt), member: member! }]);
    return 1;
  },
);

/**
 * A withdrawn ticket's `tickets` value: it is in no sorted set, reads as "not queued" everywhere,
 * and keeps a late mm_join of the same ticket (HSETNX) from queueing it.
 */
export const WITHDRAWN = '\n';

export const mmLeave = defineScript('mm_leave', 3, (data, [ratings, waits, tickets], [id, how]) => {
  const value = data.hGet(tickets!, id!);
  const queued = value === null || value === WITHDRAWN ? undefined : splitValue(value);
  if (queued !== undefined) {
    data.zRem(ratings!, [queued.member]);
    data.zRem(waits!, [queued.member]);
  }
  if (how === 'withdraw') data.hSet(tickets!, { [id!]: WITHDRAWN });
  else if (queued !== undefined) data.hDel(tickets!, [id!]);
  return queued?.json ?? 0;
});

export const mmPlayerClaim = defineScript('mm_player_claim', 1, (data, [key], [record, queue, ttl]) => {
  const current = data.get(key!);
  if (current?.startsWith('q\t')) return [current.startsWith(`q\t${queue}\t`) ? 0 : -1, current];
  data.set(key!, record!, { px: Number(ttl) });
  return [1, record!];
});

export const mmPlayerSet = defineScript('mm_player_set', 1, (data, [key], [expected, record, ttl]) => {
  if (data.get(key!) !== expected) return 0;
  if (record === '') data.del(key!);
  else data.set(key!, record!, { px: Number(ttl) });
  return 1;
});

function pairLocal(data: MemoryData, keys: readonly string[], args: readonly string[]): ScriptReply {
  const [ratings, waits, tickets, proposals] = keys as [string, string, string, string];
  const n = (i: number) => Number(args[i]);
  const params: PairParams = {
    now: n(0),
    teams: n(1),
    teamSize: n(2),
    balance: args[3] === '1',
    initial: n(4),
    growth: n(5),
    max: n(6),
    maxMatches: n(7),
    maxAnchors: n(8),
    ...(args[9] === '' ? {} : { anchor: args[9]! }),
  };
  const raw = data.hGetAll(tickets);
  const parsed = Object.values(raw)
    .filter((value) => value !== WITHDRAWN)
    .map((value) => {
      const { member, json } = splitValue(value);
      return { member, json, ticket: JSON.parse(json) as Ticket };
    });
  const jsonOf = new Map(parsed.map((p) => [p.ticket, p]));
  const matches = pairQueue(snapshotOf(parsed.map((p) => p.ticket)), params);
  const out: ScriptReply[] = [];
  matches.forEach((match, i) => {
    const id = args[10 + i]!;
    out.push(id, match.entries.length);
    const parts = [args[0]!];
    for (const { ticket, team } of match.entries) {
      const { member, json } = jsonOf.get(ticket)!;
      out.push(team, json);
      parts.push(`${team}\t${json}`);
      data.zRem(ratings, [member]);
      data.zRem(waits, [member]);
      data.hDel(tickets, [ticket.id]);
    }
    data.hSet(proposals, { [id]: parts.join('\n') });
  });
  return [data.zCard(ratings), ...out];
}

export const mmPair = defineScript('mm_pair', 4, pairLocal);

export const mmPoolRegister = defineScript(
  'mm_pool_register',
  5,
  (data, [servers, caps, modes, load, alive], [id, json, capacity, modeList, deadline]) => {
    data.hSet(servers!, { [id!]: json! });
    data.hSet(caps!, { [id!]: capacity! });
    data.hSet(modes!, { [id!]: modeList! });
    if (data.hGet(load!, id!) === null) data.hSet(load!, { [id!]: 0 });
    data.zAdd(alive!, [{ score: Number(deadline), member: id! }]);
    return 1;
  },
);

export const mmPoolHeartbeat = defineScript('mm_pool_heartbeat', 1, (data, [alive], [id, now, deadline]) => {
  const current = data.zScore(alive!, id!);
  if (current === null || current < Number(now)) return 0;
  data.zAdd(alive!, [{ score: Number(deadline), member: id! }]);
  return 1;
});

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export const mmPoolAssign = defineScript(
  'mm_pool_assign',
  5,
  (data, [caps, modes, load, alive, assign], args) => {
    const live = data.zRangeByScore(alive!, Number(args[0]), Number.POSITIVE_INFINITY).sort(byCodeUnit);
    const needle = `,${args[1]},`;
    const out: string[] = [];
    for (const mid of args.slice(2)) {
      const current = data.hGet(assign!, mid);
      if (current !== null) {
        out.push(current);
        continue;
      }
      let best: string | undefined;
      let bestLoad = -1;
      for (const sid of live) {
        if (!(data.hGet(modes!, sid) ?? '').includes(needle)) continue;
        const used = Number(data.hGet(load!, sid) ?? '0');
        const cap = Number(data.hGet(caps!, sid) ?? '0');
        if (used < cap && used > bestLoad) {
          best = sid;
          bestLoad = used;
        }
      }
      if (best === undefined) out.push('');
      else {
        data.hIncrBy(load!, best, 1);
        data.hSet(assign!, { [mid]: best });
        out.push(best);
      }
    }
    return out;
  },
);

export const mmPoolRelease = defineScript('mm_pool_release', 2, (data, [load, assign], [mid]) => {
  const sid = data.hGet(assign!, mid!);
  if (sid === null) return '';
  data.hDel(assign!, [mid!]);
  if (Number(data.hGet(load!, sid) ?? '0') > 0) data.hIncrBy(load!, sid, -1);
  return sid;
});

export const mmPoolReap = defineScript(
  'mm_pool_reap',
  6,
  (data, [servers, caps, modes, load, alive, assign], [now, named]) => {
    const dead = data
      .zRangeByScore(alive!, Number.NEGATIVE_INFINITY, Number(now))
      .filter((sid) => data.zScore(alive!, sid)! < Number(now));
    if (named !== '' && data.hGet(servers!, named!) !== null && !dead.includes(named!)) dead.push(named!);
    if (dead.length === 0) return [''];
    for (const sid of dead) {
      data.zRem(alive!, [sid]);
      for (const key of [servers!, caps!, modes!, load!]) data.hDel(key, [sid]);
    }
    const out: string[] = [...dead, ''];
    for (const [mid, sid] of Object.entries(data.hGetAll(assign!))) {
      if (dead.includes(sid)) {
        data.hDel(assign!, [mid]);
        out.push(mid);
      }
    }
    return out;
  },
);

export const mmStatus = defineScript('mm_status', 2, (data, [waits, tickets], [id]) => {
  const value = data.hGet(tickets!, id!);
  if (value === null) return [0];
  const { member } = splitValue(value);
  if (data.zScore(waits!, member) === null) return [0];
  return [1, data.zRangeByScore(waits!, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY).indexOf(member)];
});
