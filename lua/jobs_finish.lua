-- jobs_finish: records the outcome of a run. Counters always count it; the "last run" fields are
-- written only by the run that holds the latest fencing token, so a stale leader finishing late
-- cannot overwrite a newer run's record.
--
-- KEYS[1]  the job's state hash
-- ARGV[1]  the run's fencing token
-- ARGV[2]  'ok' or 'failed'
-- ARGV[3]  finish time, epoch milliseconds
-- ARGV[4]  duration, milliseconds
-- ARGV[5]  error message ('' when ok)
-- Returns  1 when the last-run fields were written, 0 when a newer run had started.
redis.call('HINCRBY', KEYS[1], 'runs', 1)
if ARGV[2] == 'failed' then
  redis.call('HINCRBY', KEYS[1], 'failures', 1)
end
if redis.call('HGET', KEYS[1], 'fence') ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'finishedAt', ARGV[3], 'durationMs', ARGV[4], 'error', ARGV[5])
if ARGV[2] == 'failed' then
  redis.call('HINCRBY', KEYS[1], 'consecutiveFailures', 1)
else
  redis.call('HSET', KEYS[1], 'consecutiveFailures', 0)
end
return 1
