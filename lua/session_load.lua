-- Reads one session and, when asked, renews it: the rolling expiry moves to now + the session's
-- lifetime (`t`), but never past `x` + `t`, where `x` is when the user's index entry is next due
-- to be refreshed; so a session never outlives the index entry through which logout-all finds it.
-- A session renewed less than ARGV[4] ms (or a tenth of its lifetime) ago is only read: a burst
-- of requests costs one write.
-- KEYS[1]  the session hash
-- ARGV[1]  now, milliseconds since the epoch
-- ARGV[2]  '1' to renew the session and record the visit (`s` = now, `e` = new expiry), '0' to read
-- ARGV[3]  client address to record as the last one seen ('' keeps the stored one)
-- ARGV[4]  renewal granularity in ms (at most a tenth of the lifetime is used)
-- Returns  the hash as a flat field/value array (before renewal), or nil when there is none.
local fields = redis.call('HGETALL', KEYS[1])
if #fields == 0 then
  return nil
end
if ARGV[2] == '1' then
  local now = tonumber(ARGV[1])
  local ttl, due, seen
  for i = 1, #fields, 2 do
    if fields[i] == 't' then
      ttl = tonumber(fields[i + 1])
    elseif fields[i] == 'x' then
      due = tonumber(fields[i + 1])
    elseif fields[i] == 's' then
      seen = tonumber(fields[i + 1])
    end
  end
  if seen ~= nil and now >= seen and now - seen < math.min(tonumber(ARGV[4]), ttl / 10) then
    return fields
  end
  local expires = now + ttl
  if due ~= nil and expires > due + ttl then
    expires = due + ttl
  end
  if expires <= now then
    redis.call('DEL', KEYS[1])
    return nil
  end
  redis.call('PEXPIRE', KEYS[1], expires - now)
  if ARGV[3] ~= '' then
    redis.call('HSET', KEYS[1], 's', ARGV[1], 'e', string.format('%d', expires), 'ip', ARGV[3])
  else
    redis.call('HSET', KEYS[1], 's', ARGV[1], 'e', string.format('%d', expires))
  end
end
return fields
