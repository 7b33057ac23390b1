-- compare-and-pexpire: sets a key's time to live only while it still holds the expected value.
-- The renew half of a lease or lock: only the current owner may extend it; an owner that lost the
-- lease learns so from the 0 and must stop acting as owner.
--
-- KEYS[1]  the lease/lock key
-- ARGV[1]  the value the caller expects it to hold (its owner token)
-- ARGV[2]  the new time to live, in milliseconds (an integer; <= 0 deletes the key, as PEXPIRE does)
-- Returns  1 when the key held ARGV[1] and its TTL was set, 0 when it is missing or holds another value.
-- Errors   WRONGTYPE when the key is not a string; "not an integer" when ARGV[2] is not one.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
