-- mm_join: puts one ticket (a player or a party) in the queue of one mode and region, once:
-- joining again with the same ticket id changes nothing.
--
-- KEYS[1]  ratings: sorted set, ticket id by average rating
-- KEYS[2]  waits: sorted set, ticket id by join time (ms)
-- KEYS[3]  tickets: hash, ticket id -> ticket JSON
-- ARGV[1]  ticket id   ARGV[2] average rating   ARGV[3] join time (ms)   ARGV[4] ticket JSON
-- Returns  1 when queued now, 0 when the ticket was already queued.
if redis.call('HSETNX', KEYS[3], ARGV[1], ARGV[4]) == 0 then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
