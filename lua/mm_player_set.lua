-- mm_player_set: replaces a player's record only while it still holds the expected one (a leave,
-- a match or a move must not overwrite a newer join).
--
-- KEYS[1]  the player's record
-- ARGV[1]  the expected record   ARGV[2] the new record ('' deletes)   ARGV[3] time to live (ms)
-- Returns  1 when replaced, 0 when the record held something else.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return 1
