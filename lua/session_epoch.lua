-- Raises a user's logout epoch: every session of the user issued before it is dead wherever it is
-- read (src/sessions/epochs.ts). The epoch only ever moves forward, so instances replaying their
-- logout-alls in any order leave the latest one; its expiry only ever moves later.
-- KEYS[1]  the user's epoch (string, ms since the epoch)
-- ARGV[1]  the epoch to raise it to, ms
-- ARGV[2]  how long it must be kept at least, ms (the longest a session issued before it can live)
-- Returns  the epoch now stored.
local stored = tonumber(redis.call('GET', KEYS[1]) or '0')
local epoch = tonumber(ARGV[1])
local left = redis.call('PTTL', KEYS[1])
local keep = tonumber(ARGV[2])
if left > keep then
  keep = left
end
if epoch > stored then
  redis.call('SET', KEYS[1], string.format('%d', epoch))
  stored = epoch
end
redis.call('PEXPIRE', KEYS[1], keep)
return string.format('%d', stored)
