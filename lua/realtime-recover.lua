-- realtime-recover: what a client missed on a realtime stream after the offset it last saw, read
-- atomically with the stream's position, so nothing published meanwhile falls between the two.
--
-- KEYS[1]  the stream's meta hash (`e` epoch, `o` last offset)
-- KEYS[2]  the stream's history list (newest first)
-- ARGV[1]  the epoch the client knows
-- ARGV[2]  the last offset the client received (an integer >= 0)
-- ARGV[3]  an epoch to use when the stream has none
-- ARGV[4]  time to live of a meta hash created here, ms
-- Returns  {1, epoch, offset, frame...} with the missed frames oldest first, or {0, epoch, offset}
--          when they cannot all be given (another epoch, an offset from the future, history too short).
local epoch = redis.call('HGET', KEYS[1], 'e')
if not epoch then
  epoch = ARGV[3]
  redis.call('HSET', KEYS[1], 'e', epoch, 'o', 0)
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
local offset = tonumber(redis.call('HGET', KEYS[1], 'o') or '0')
local since = tonumber(ARGV[2])
if epoch ~= ARGV[1] or since > offset then
  return {0, epoch, offset}
end
local missed = offset - since
if missed == 0 then
  return {1, epoch, offset}
end
if missed > redis.call('LLEN', KEYS[2]) then
  return {0, epoch, offset}
end
local frames = redis.call('LRANGE', KEYS[2], 0, missed - 1)
local reply = {1, epoch, offset}
for i = #frames, 1, -1 do
  reply[#reply + 1] = frames[i]
end
return reply
