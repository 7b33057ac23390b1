-- Adds one instance's cache counters to the cluster-wide totals and records its L1 size.
-- KEYS[1]  the counters hash (field `<namespace>|<counter>`)
-- KEYS[2]  the instance reports hash (field: instance id)
-- ARGV[1]  instance id
-- ARGV[2]  the instance report, JSON {at, l1: {namespace: [entries, bytes]}}
-- ARGV[3..] field, increment pairs
-- Returns  the number of counters incremented
for i = 3, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return (#ARGV - 2) / 2
