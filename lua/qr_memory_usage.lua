-- qr_memory_usage: bytes a key takes in Redis (MEMORY USAGE: value, key name and overhead), for
-- the QR app's cache statistics. A script so that it goes through the Store like every other call
-- and is routed to the key's node on Cluster.
--
-- KEYS[1]  a key
-- Returns  its size in bytes, 0 when it does not exist.
return redis.call('MEMORY', 'USAGE', KEYS[1]) or 0
