-- mm_pool_assign: gives each match a live server of the region that runs its mode and has room,
-- packed as Agones allocates: the busiest such server first (ties: the smallest id), so idle
-- servers can be scaled down. Never above capacity; a match already assigned keeps its server.
--
-- KEYS[1]  caps: hash, id -> capacity     KEYS[2] modes: hash, id -> ",mode,mode,"
-- KEYS[3]  load: hash, id -> matches      KEYS[4] alive: sorted set, id by heartbeat deadline
-- KEYS[5]  assign: hash, match id -> server id
-- ARGV[1]  now (ms)   ARGV[2] mode   ARGV[3..] match ids
-- Returns  one server id per match id ('' when no server had room).
local live = redis.call('ZRANGEBYSCORE', KEYS[4], ARGV[1], '+inf')
table.sort(live)
local needle = ',' .. ARGV[2] .. ','
local out = {}
for i = 3, #ARGV do
  local mid = ARGV[i]
  local current = redis.call('HGET', KEYS[5], mid)
  if current then
    out[#out + 1] = current
  else
    local best, bestLoad = nil, -1
    for _, sid in ipairs(live) do
      local modes = redis.call('HGET', KEYS[2], sid)
      if modes and string.find(modes, needle, 1, true) then
        local load = tonumber(redis.call('HGET', KEYS[3], sid) or '0')
        local cap = tonumber(redis.call('HGET', KEYS[1], sid) or '0')
        if load < cap and load > bestLoad then
          best, bestLoad = sid, load
        end
      end
    end
    if best then
      redis.call('HINCRBY', KEYS[3], best, 1)
      redis.call('HSET', KEYS[5], mid, best)
      out[#out + 1] = best
    else
      out[#out + 1] = ''
    end
  end
end
return out
