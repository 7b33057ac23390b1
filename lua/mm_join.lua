-- mm_join: puts one ticket (a player or a party) in the queue of one mode and region, once:
-- joining again with the same ticket id changes nothing.
--
-- KEYS[1]  ratings: sorted set, ticket member by average rating
-- KEYS[2]  waits: sorted set, ticket member by join time (ms)
-- KEYS[3]  tickets: hash, ticket id -> "<member>\n<ticket JSON>"
-- ARGV[1]  ticket id   ARGV[2] average rating   ARGV[3] join time (ms)
-- ARGV[4]  member: "<id>\t<players>\t<rating sum>\t<join time>" (pairing.ts ticketMember)
-- ARGV[5]  ticket JSON
-- Returns  1 when queued now, 0 when the ticket was already queued.
if redis.call('HSETNX', KEYS[3], ARGV[1], ARGV[4] .. '\n' .. ARGV[5]) == 0 then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
return 1
