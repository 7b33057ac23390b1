-- instances_report: writes one instance's report and indexes it by expiry, in Redis time, so the
-- registry never depends on the reporting servers' clocks agreeing. Also prunes index entries
-- whose report expired (an instance that died), so the index stays as small as the cluster.
--
-- KEYS[1]  the instance's report key
-- KEYS[2]  the index: sorted set of instance ids scored by report expiry (epoch ms, Redis clock)
-- ARGV[1]  the report (JSON)
-- ARGV[2]  time to live, in milliseconds
-- ARGV[3]  the instance id
-- Returns  Redis's current time, epoch milliseconds.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
return now
