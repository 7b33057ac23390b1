-- mm_pool_release: frees the slot a finished match held on its server.
--
-- KEYS[1]  load: hash, id -> matches   KEYS[2] assign: hash, match id -> server id
-- ARGV[1]  match id
-- Returns  the server id that held it, or '' when the match held no slot.
local sid = redis.call('HGET', KEYS[2], ARGV[1])
if not sid then
  return ''
end
redis.call('HDEL', KEYS[2], ARGV[1])
if tonumber(redis.call('HGET', KEYS[1], sid) or '0') > 0 then
  redis.call('HINCRBY', KEYS[1], sid, -1)
end
return sid
