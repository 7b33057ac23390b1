-- instances_list: prunes expired entries from the instance index and returns the live ones with
-- their expiry, plus Redis's current time, so readers can tell how long ago each instance
-- reported without trusting any server's clock. No KEYS scan: the index is the registry.
--
-- KEYS[1]  the index: sorted set of instance ids scored by report expiry (epoch ms, Redis clock)
-- Returns  {now, id1, expiry1, id2, expiry2, ...}, ids in expiry order.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local live = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
table.insert(live, 1, now)
return live
