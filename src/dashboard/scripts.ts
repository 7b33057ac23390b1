/** The dashboard's Lua script (lua/dashboard_history_add.lua) and its twin. */
import { defineScript } from '../redis/script.js';

export const dashboardHistoryAdd = defineScript(
  'dashboard_history_add',
  1,
  (data, [history], [time, point, window, keep]) => {
    const t = Number(time);
    data.zAdd(history!, [{ score: t, member: point! }]);
    // Exclusive, as '(' in the Lua: a point exactly one window old stays.
    const bound = t - Number(window);
    const old = data
      .zRangeByScore(history!, Number.NEGATIVE_INFINITY, bound)
      .filter((member) => data.zScore(history!, member)! < bound);
    if (old.length > 0) data.zRem(history!, old);
    const all = data.zRangeByScore(history!, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
    const excess = all.length - Number(keep);
    if (excess > 0) data.zRem(history!, all.slice(0, excess));
    data.pExpire(history!, Number(window));
    return Math.min(all.length, Number(keep));
  },
);
