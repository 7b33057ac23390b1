-- Puts back a session saved elsewhere (the database in durable mode, or this process while Redis
-- was down) unless the key already holds one: a copy in Redis is never older than the one being
-- restored, and an ended session has no copy to restore.
-- KEYS[1]  the session hash
-- ARGV[1]  now, milliseconds since the epoch
-- ARGV[2]  expires at, ms since the epoch
-- ARGV[3..] the hash as field/value pairs
-- Returns  1 when restored, 0 when a session exists already or this one has expired.
local ttl = tonumber(ARGV[2]) - tonumber(ARGV[1])
if ttl <= 0 or redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
