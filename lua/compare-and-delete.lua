-- compare-and-delete: deletes a key only while it still holds the expected value.
-- The release half of a lease or lock: an owner whose lease expired (and was taken by another
-- instance) must not delete the new owner's key, so the check and the delete are one atomic step.
--
-- KEYS[1]  the lease/lock key
-- ARGV[1]  the value the caller expects it to hold (its owner token)
-- Returns  1 when the key held ARGV[1] and was deleted, 0 when it is missing or holds another value.
-- Errors   WRONGTYPE when the key is not a string.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
