-- mm_player_claim: records that a player is queued, keeping every player in at most one queue.
-- A player record is "q\t<mode>\t<region>\t<ticket>\t<joinedAt>" while queued and
-- "m\t<match id>" once matched; a matched (or absent) record may be replaced by a new queue entry.
--
-- KEYS[1]  the player's record
-- ARGV[1]  the new record ("q\t...")   ARGV[2] "<mode>\t<region>"   ARGV[3] time to live (ms)
-- Returns  {1, new record} when claimed; {0, record} when already queued in this mode and region
--          (an idempotent re-join); {-1, record} when queued elsewhere.
local current = redis.call('GET', KEYS[1])
if current and string.sub(current, 1, 2) == 'q\t' then
  local prefix = 'q\t' .. ARGV[2] .. '\t'
  if string.sub(current, 1, #prefix) == prefix then
    return {0, current}
  end
  return {-1, current}
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return {1, ARGV[1]}
