-- mm_status: a ticket's place in its queue, oldest first.
--
-- KEYS[1]  waits: sorted set, ticket member by join time (ms)
-- KEYS[2]  tickets: hash, ticket id -> "<member>\n<ticket JSON>"
-- ARGV[1]  ticket id
-- Returns  {1, 0-based position} while queued, {0} otherwise.
local value = redis.call('HGET', KEYS[2], ARGV[1])
if not value then
  return {0}
end
local rank = redis.call('ZRANK', KEYS[1], string.sub(value, 1, string.find(value, '\n', 1, true) - 1))
if not rank then
  return {0}
end
return {1, rank}
