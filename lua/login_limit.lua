-- One fixed-window counter of login attempts (per account or per client address). The window
-- starts with the first attempt; an attempt is counted only when it is allowed.
-- KEYS[1]  the counter
-- ARGV[1]  attempts allowed in one window
-- ARGV[2]  window length in ms
-- Returns  {1, attempts left} when allowed, {0, ms until the window ends} when refused.
local limit = tonumber(ARGV[1])
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= limit then
  local left = redis.call('PTTL', KEYS[1])
  if left < 0 then
    -- A counter without expiry cannot come from this script; give it one rather than block forever.
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    left = tonumber(ARGV[2])
  end
  return {0, left}
end
count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return {1, limit - count}
