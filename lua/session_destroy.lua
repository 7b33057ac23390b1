-- Ends one session.
-- KEYS[1]  the session hash
-- ARGV[1]  '' to end it whoever it belongs to, or a user id: end it only if it belongs to that
--          user (logout-all must not end a session that has since changed hands)
-- ARGV[2]  '' or a logout epoch (ms): end it only if it was valid before it (its `g`, else its
--          creation time `c`, is earlier), so a logout-all never ends a later login nor the
--          session it was asked to keep (src/sessions/epochs.ts)
-- Returns  the session's user id ('' for an anonymous session); 0 when the epoch kept it; nil
--          when nothing was ended.
local user = redis.call('HGET', KEYS[1], 'u') or ''
if ARGV[1] ~= '' and ARGV[1] ~= user then
  return nil
end
if ARGV[2] ~= nil and ARGV[2] ~= '' then
  local stamp = redis.call('HGET', KEYS[1], 'g') or redis.call('HGET', KEYS[1], 'c')
  if stamp and tonumber(stamp) >= tonumber(ARGV[2]) then
    return 0
  end
end
if redis.call('DEL', KEYS[1]) == 0 then
  return nil
end
return user
