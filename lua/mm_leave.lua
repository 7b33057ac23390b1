-- mm_leave: takes a ticket out of the queue of one mode and region, unless pairing took it first.
--
-- KEYS[1]  ratings   KEYS[2] waits   KEYS[3] tickets (as in mm_join)
-- ARGV[1]  ticket id
-- Returns  1 when the ticket left the queue, 0 when it was not queued (matched, or never joined).
if redis.call('HDEL', KEYS[3], ARGV[1]) == 0 then
  return 0
end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
