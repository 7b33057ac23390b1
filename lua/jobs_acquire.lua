-- jobs_acquire: one attempt to become a job's leader.
-- SET NX PX with the candidate's token; when another instance holds the lease, says who and for
-- how long, so the candidate can try again exactly when the lease would expire.
--
-- KEYS[1]  the job's lease key
-- ARGV[1]  the candidate's owner token
-- ARGV[2]  lease time to live, in milliseconds
-- Returns  {1, token, ttl} when the lease was taken, {0, holder token, remaining ttl ms} otherwise.
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, ARGV[1], tonumber(ARGV[2])}
end
return {0, redis.call('GET', KEYS[1]) or '', redis.call('PTTL', KEYS[1])}
