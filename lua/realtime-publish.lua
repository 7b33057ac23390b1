-- realtime-publish: numbers a message of one realtime stream, records it in the stream's bounded
-- history and publishes it, in one step, so offsets are gap-free, the history holds exactly what
-- was published, and every subscriber sees the stream's messages in offset order.
--
-- KEYS[1]  the stream's meta hash (`e` epoch, `o` last offset)
-- KEYS[2]  the stream's history list (newest first)
-- ARGV[1]  an epoch to use when the stream has none (its history was lost or never existed)
-- ARGV[2]  history size (messages kept; 0 keeps none)
-- ARGV[3]  time to live of the stream's keys, ms (refreshed by every message)
-- ARGV[4]  the pub/sub channel
-- ARGV[5]  `PUBLISH`, or `SPUBLISH` on Cluster (the channel shares the stream's hash tag)
-- ARGV[6]  the message's prefix on the channel: `<origin instance> <stream> `
-- ARGV[7]  the client frame up to its offset
-- ARGV[8]  the client frame after its offset
-- Returns  {epoch, offset}; the channel gets `<ARGV[6]><offset> <frame>`, the history `<frame>`.
local epoch = redis.call('HGET', KEYS[1], 'e')
if not epoch then
  epoch = ARGV[1]
  redis.call('HSET', KEYS[1], 'e', epoch)
end
local offset = redis.call('HINCRBY', KEYS[1], 'o', 1)
local frame = ARGV[7] .. offset .. ARGV[8]
local size = tonumber(ARGV[2])
if size > 0 then
  redis.call('LPUSH', KEYS[2], frame)
  redis.call('LTRIM', KEYS[2], 0, size - 1)
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call(ARGV[5], ARGV[4], ARGV[6] .. offset .. ' ' .. frame)
return {epoch, offset}
