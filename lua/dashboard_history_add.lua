-- dashboard_history_add: appends one point to an instance's history and keeps the history bounded:
-- points older than the window are removed, then the oldest beyond the count, and the key expires
-- one window after its last write (an instance that died leaves nothing behind for long).
--
-- KEYS[1]  the instance's history: sorted set of points (JSON) scored by their time, epoch ms
-- ARGV[1]  the point's time, epoch ms
-- ARGV[2]  the point (JSON)
-- ARGV[3]  the window, in milliseconds
-- ARGV[4]  the most points kept
-- Returns  how many points the history holds.
local t = tonumber(ARGV[1])
redis.call('ZADD', KEYS[1], t, ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (t - tonumber(ARGV[3])))
local n = redis.call('ZCARD', KEYS[1])
local keep = tonumber(ARGV[4])
if n > keep then
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, n - keep - 1)
  n = keep
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return n
