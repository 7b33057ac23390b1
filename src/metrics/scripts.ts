/** The metrics' Lua scripts (lua/metrics_*.lua) and their twins. */
import { defineScript } from '../redis/script.js';

export const metricsHIncr = defineScript('metrics_hincr', 1, (data, [hash], [ttl, ...pairs]) => {
  let n = 0;
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    data.hIncrBy(hash!, pairs[i]!, Number(pairs[i + 1]));
    n++;
  }
  if (Number(ttl) > 0) data.pExpire(hash!, Number(ttl));
  return n;
});

export const metricsErrors = defineScript('metrics_errors', 1, (data, [list], [keep, ...entries]) => {
  for (const entry of entries) data.lPush(list!, [entry]);
  data.lTrim(list!, 0, Number(keep) - 1);
  return data.lRange(list!, 0, -1).length;
});
