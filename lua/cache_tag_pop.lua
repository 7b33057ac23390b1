-- Removes and returns up to ARGV[1] members of a cache tag set (SPOP with a count), so that a
-- deleteByTag drains the set in batches and also catches entries tagged while it runs.
-- KEYS[1]  the tag set
-- ARGV[1]  batch size
-- Returns  the removed members (entry keys), an empty array once the set is gone
return redis.call('SPOP', KEYS[1], tonumber(ARGV[1]))
