-- jobs_claim: the leader claims one tick of a job, atomically with the checks that make it run once.
-- Refused unless the caller still holds the lease and the tick is later than the last one claimed,
-- so no tick ever runs twice, even across a change of leader. On success the lease is renewed,
-- the fencing counter incremented (the new value is handed to the job), and the run recorded.
--
-- KEYS[1]  the job's lease key
-- KEYS[2]  the job's state hash
-- KEYS[3]  the job's fencing counter
-- ARGV[1]  the leader's owner token
-- ARGV[2]  the tick: its scheduled time, epoch milliseconds
-- ARGV[3]  lease time to live, in milliseconds
-- ARGV[4]  the leader's instance id
-- ARGV[5]  start time, epoch milliseconds
-- Returns  {1, fencing token} when claimed; {0, 'not-leader'} or {0, 'already-run'} otherwise.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return {0, 'not-leader'}
end
local last = redis.call('HGET', KEYS[2], 'tick')
if last and tonumber(last) >= tonumber(ARGV[2]) then
  return {0, 'already-run'}
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local fence = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[2], 'tick', ARGV[2], 'fence', fence, 'instance', ARGV[4],
  'startedAt', ARGV[5], 'status', 'running')
return {1, fence}
