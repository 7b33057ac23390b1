-- mm_leave: takes a ticket out of the queue of one mode and region, unless pairing took it first;
-- or withdraws a ticket whose mm_join may have run although its answer was lost.
--
-- KEYS[1]  ratings   KEYS[2] waits   KEYS[3] tickets (as in mm_join)
-- ARGV[1]  ticket id
-- ARGV[2]  'withdraw' to also leave the ticket's id withdrawn ("\n" in the tickets hash: in no
--          sorted set, read as not queued everywhere), so that a late mm_join of it (HSETNX)
--          cannot queue it afterwards; absent or '' for a plain leave.
-- Returns  the ticket's JSON when it left the queue, 0 when it was not queued (matched, withdrawn
--          or never joined).
local value = redis.call('HGET', KEYS[3], ARGV[1])
local queued = value and value ~= '\n'
local json = 0
if queued then
  local cut = string.find(value, '\n', 1, true)
  local member = string.sub(value, 1, cut - 1)
  redis.call('ZREM', KEYS[1], member)
  redis.call('ZREM', KEYS[2], member)
  json = string.sub(value, cut + 1)
end
if ARGV[2] == 'withdraw' then
  redis.call('HSET', KEYS[3], ARGV[1], '\n')
elseif queued then
  redis.call('HDEL', KEYS[3], ARGV[1])
end
return json
