-- mm_leave: takes a ticket out of the queue of one mode and region, unless pairing took it first.
--
-- KEYS[1]  ratings   KEYS[2] waits   KEYS[3] tickets (as in mm_join)
-- ARGV[1]  ticket id
-- Returns  the ticket's JSON when it left the queue, 0 when it was not queued (matched, or never
--          joined).
local value = redis.call('HGET', KEYS[3], ARGV[1])
if not value then
  return 0
end
local cut = string.find(value, '\n', 1, true)
local member = string.sub(value, 1, cut - 1)
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[1], member)
redis.call('ZREM', KEYS[2], member)
return string.sub(value, cut + 1)
