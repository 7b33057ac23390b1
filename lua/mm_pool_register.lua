-- mm_pool_register: adds (or updates) a game server in its region's pool and marks it alive.
-- Its load (matches assigned and unfinished) is kept across re-registration.
--
-- KEYS[1]  servers: hash, id -> server JSON (address, capacity, modes, token digest)
-- KEYS[2]  caps: hash, id -> capacity      KEYS[3] modes: hash, id -> ",mode,mode,"
-- KEYS[4]  load: hash, id -> matches       KEYS[5] alive: sorted set, id by heartbeat deadline
-- ARGV[1]  id   ARGV[2] server JSON   ARGV[3] capacity   ARGV[4] ",modes,"   ARGV[5] deadline (ms)
-- Returns  1
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[4])
redis.call('HSETNX', KEYS[4], ARGV[1], 0)
redis.call('ZADD', KEYS[5], ARGV[5], ARGV[1])
return 1
