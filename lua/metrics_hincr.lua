-- metrics_hincr: adds a batch of deltas to the fields of one counter hash in one round trip
-- (an instance's custom counters, or its request counts for one minute).
--
-- KEYS[1]  the hash
-- ARGV[1]  expiry, in milliseconds from now; 0 keeps the hash's current expiry (or none)
-- ARGV[2], ARGV[3], ...  field, integer delta, field, integer delta, ...
-- Returns  the number of fields updated.
local n = 0
for i = 2, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
  n = n + 1
end
if tonumber(ARGV[1]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return n
