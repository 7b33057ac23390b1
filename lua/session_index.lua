-- Maintains one user's session index: a sorted set of session ids, each scored by the latest time
-- its session can still exist (see session_load.lua). Entries past their score are pruned on every
-- call, and the index itself expires with its last entry, so it needs no cleanup job.
-- KEYS[1]  the user's index
-- ARGV[1]  now, milliseconds since the epoch
-- ARGV[2]  'add' or 'remove'
-- ARGV[3]  for 'add': the score given to the ids; ignored for 'remove'
-- ARGV[4..] session ids
-- Returns  the number of entries left.
local key = KEYS[1]
if ARGV[2] == 'add' then
  for i = 4, #ARGV do
    redis.call('ZADD', key, ARGV[3], ARGV[i])
  end
else
  for i = 4, #ARGV do
    redis.call('ZREM', key, ARGV[i])
  end
end
redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. ARGV[1])
local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
if #last == 0 then
  return 0
end
redis.call('PEXPIREAT', key, last[2])
return redis.call('ZCARD', key)
