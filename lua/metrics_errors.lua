-- metrics_errors: appends recent errors to the cluster-wide list and trims it to its bound.
--
-- KEYS[1]  the list, newest first
-- ARGV[1]  how many entries to keep
-- ARGV[2], ARGV[3], ...  entries (JSON), oldest first
-- Returns  the list's length after trimming.
for i = 2, #ARGV do
  redis.call('LPUSH', KEYS[1], ARGV[i])
end
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[1]) - 1)
return redis.call('LLEN', KEYS[1])
