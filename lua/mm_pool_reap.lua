-- mm_pool_reap: removes servers past their heartbeat deadline (or one named server) from the
-- pool and frees their matches' slots, returning those matches so they can move or fail.
--
-- KEYS[1]  servers   KEYS[2] caps   KEYS[3] modes   KEYS[4] load   KEYS[5] alive   KEYS[6] assign
-- ARGV[1]  now (ms): servers whose deadline is before it are removed
-- ARGV[2]  a server id to remove whatever its deadline ('' for none)
-- Returns  {server ids removed..., '', match ids they held...}
local dead = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', '(' .. ARGV[1])
if ARGV[2] ~= '' and redis.call('HEXISTS', KEYS[1], ARGV[2]) == 1 then
  local seen = false
  for _, sid in ipairs(dead) do if sid == ARGV[2] then seen = true end end
  if not seen then dead[#dead + 1] = ARGV[2] end
end
if #dead == 0 then
  return {''}
end
local gone = {}
for _, sid in ipairs(dead) do
  gone[sid] = true
  redis.call('ZREM', KEYS[5], sid)
  redis.call('HDEL', KEYS[1], sid)
  redis.call('HDEL', KEYS[2], sid)
  redis.call('HDEL', KEYS[3], sid)
  redis.call('HDEL', KEYS[4], sid)
end
local out = {}
for _, sid in ipairs(dead) do out[#out + 1] = sid end
out[#out + 1] = ''
local assign = redis.call('HGETALL', KEYS[6])
for i = 1, #assign, 2 do
  if gone[assign[i + 1]] then
    redis.call('HDEL', KEYS[6], assign[i])
    out[#out + 1] = assign[i]
  end
end
return out
