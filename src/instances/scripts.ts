/** The registry's and metrics' Lua scripts (lua/instances_*.lua, lua/metrics_*.lua) and their twins. */
import { defineScript, type ScriptReply } from '../redis/script.js';

export const instancesReport = defineScript(
  'instances_report',
  2,
  (data, [report, index], [json, ttl, id]) => {
    const now = Date.now();
    data.set(report!, json!, { px: Number(ttl) });
    data.zAdd(index!, [{ score: now + Number(ttl), member: id! }]);
    data.zRemRangeByScore(index!, Number.NEGATIVE_INFINITY, now);
    return now;
  },
);

export const instancesList = defineScript('instances_list', 1, (data, [index]) => {
  const now = Date.now();
  data.zRemRangeByScore(index!, Number.NEGATIVE_INFINITY, now);
  const reply: ScriptReply[] = [now];
  for (const id of data.zRangeByScore(index!, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY)) {
    reply.push(id, String(data.zScore(index!, id)));
  }
  return reply;
});

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
