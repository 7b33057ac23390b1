/** The registry's Lua scripts (lua/instances_*.lua) and their twins. */
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
