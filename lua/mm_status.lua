-- mm_status: a ticket's place in its queue, oldest first.
--
-- KEYS[1]  waits: sorted set, ticket id by join time (ms)
-- ARGV[1]  ticket id
-- Returns  {1, 0-based position} while queued, {0} otherwise.
local rank = redis.call('ZRANK', KEYS[1], ARGV[1])
if not rank then
  return {0}
end
return {1, rank}
