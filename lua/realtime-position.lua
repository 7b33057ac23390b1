-- realtime-position: a realtime stream's current epoch and last offset, creating the epoch when the
-- stream has none, so that a client told this position can later recover from it.
--
-- KEYS[1]  the stream's meta hash (`e` epoch, `o` last offset)
-- ARGV[1]  an epoch to use when the stream has none
-- ARGV[2]  time to live of the meta hash, ms (refreshed)
-- Returns  {epoch, offset}
local epoch = redis.call('HGET', KEYS[1], 'e')
if not epoch then
  epoch = ARGV[1]
  redis.call('HSET', KEYS[1], 'e', epoch, 'o', 0)
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {epoch, tonumber(redis.call('HGET', KEYS[1], 'o') or '0')}
