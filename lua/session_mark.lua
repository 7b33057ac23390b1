-- Sets one field of a session only while the session exists, so that a session ended meanwhile
-- is never recreated as a hash without an expiry.
-- KEYS[1]  the session hash
-- ARGV[1]  field
-- ARGV[2]  value
-- Returns  1 when written, 0 when the session does not exist.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
