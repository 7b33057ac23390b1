/** The scheduler's Lua scripts (lua/jobs_*.lua) and their twins for MemoryStore. */
import { defineScript } from '../redis/script.js';

export const jobsAcquire = defineScript('jobs_acquire', 1, (data, [lease], [token, ttl]) => {
  if (data.set(lease!, token!, { nx: true, px: Number(ttl) })) return [1, token!, Number(ttl)];
  return [0, data.get(lease!) ?? '', data.pTtl(lease!)];
});

export const jobsClaim = defineScript(
  'jobs_claim',
  3,
  (data, [lease, state, fence], [token, tick, ttl, instance, startedAt]) => {
    if (data.get(lease!) !== token) return [0, 'not-leader'];
    const last = data.hGet(state!, 'tick');
    if (last !== null && Number(last) >= Number(tick)) return [0, 'already-run'];
    data.pExpire(lease!, Number(ttl));
    const next = data.incrBy(fence!, 1);
    data.hSet(state!, {
      tick: tick!,
      fence: next,
      instance: instance!,
      startedAt: startedAt!,
      status: 'running',
    });
    return [1, next];
  },
);

export const jobsFinish = defineScript(
  'jobs_finish',
  1,
  (data, [state], [fence, status, finishedAt, durationMs, error]) => {
    data.hIncrBy(state!, 'runs', 1);
    if (status === 'failed') data.hIncrBy(state!, 'failures', 1);
    if (data.hGet(state!, 'fence') !== fence) return 0;
    data.hSet(state!, { status: status!, finishedAt: finishedAt!, durationMs: durationMs!, error: error! });
    if (status === 'failed') data.hIncrBy(state!, 'consecutiveFailures', 1);
    else data.hSet(state!, { consecutiveFailures: 0 });
    return 1;
  },
);
