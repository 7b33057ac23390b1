/** The cache's Lua scripts (lua/cache_*.lua) and their in-process twins over MemoryData. */
import { defineScript } from '../redis/script.js';

export const cacheTagAdd = defineScript('cache_tag_add', 1, (data, keys, args) => {
  const key = keys[0]!;
  const before = data.pTtl(key);
  const added = data.sAdd(key, args.slice(1));
  const ms = Number(args[0]);
  if (ms === 0) {
    if (before >= 0) {
      // MemoryData has no PERSIST: recreating the set drops its expiry, atomically here.
      const members = data.sMembers(key);
      data.del(key);
      data.sAdd(key, members);
    }
  } else if (before === -2 || (before >= 0 && before < ms)) {
    data.pExpire(key, ms);
  }
  return added;
});

export const cacheTagPop = defineScript('cache_tag_pop', 1, (data, keys, args) => {
  const members = data.sMembers(keys[0]!).slice(0, Number(args[0]));
  data.sRem(keys[0]!, members);
  return members;
});

export const cacheStatsFlush = defineScript('cache_stats_flush', 2, (data, keys, args) => {
  for (let i = 2; i + 1 < args.length; i += 2) data.hIncrBy(keys[0]!, args[i]!, Number(args[i + 1]));
  data.hSet(keys[1]!, { [args[0]!]: args[1]! });
  return (args.length - 2) / 2;
});
