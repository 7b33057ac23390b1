-- Adds entry keys to a cache tag set and keeps the set alive at least as long as its
-- longest-lived entry, so that deleteByTag still finds every entry it must delete.
-- KEYS[1]  the tag set
-- ARGV[1]  lifetime of the entries being added, in ms (ttl + grace); 0 means they never expire
-- ARGV[2..] the entries' Redis keys
-- Returns  the number of keys that were not in the set yet
local before = redis.call('PTTL', KEYS[1])
local added = redis.call('SADD', KEYS[1], unpack(ARGV, 2))
local ms = tonumber(ARGV[1])
if ms == 0 then
  if before >= 0 then redis.call('PERSIST', KEYS[1]) end
elseif before == -2 or (before >= 0 and before < ms) then
  redis.call('PEXPIRE', KEYS[1], ms)
end
return added
