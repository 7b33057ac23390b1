-- mm_pool_heartbeat: extends a live server's deadline. A server already past its deadline (or
-- reaped) is not revived: it must register again, since its matches may have moved.
--
-- KEYS[1]  alive: sorted set, id by heartbeat deadline
-- ARGV[1]  id   ARGV[2] now (ms)   ARGV[3] new deadline (ms)
-- Returns  1 when extended, 0 when the server is not in the pool (or past its deadline).
local deadline = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not deadline or tonumber(deadline) < tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return 1
