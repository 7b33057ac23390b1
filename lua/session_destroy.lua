-- Ends one session.
-- KEYS[1]  the session hash
-- ARGV[1]  '' to end it whoever it belongs to, or a user id: end it only if it belongs to that
--          user (logout-all must not end a session that has since changed hands)
-- Returns  the session's user id ('' for an anonymous session), or nil when nothing was ended.
local user = redis.call('HGET', KEYS[1], 'u') or ''
if ARGV[1] ~= '' and ARGV[1] ~= user then
  return nil
end
if redis.call('DEL', KEYS[1]) == 0 then
  return nil
end
return user
